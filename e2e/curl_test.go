package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCurl uploads, lists and downloads with curl's sftp:// (libssh2
// 1.10), which proves that the algorithm allow-list admits libssh2: curl
// checks the host key it negotiated (libssh2 picks the ECDSA one) against
// the fingerprint given.
func TestCurl(t *testing.T) {
	t.Parallel()
	curl := needTool(t, "curl")
	d := schools(t, options{})
	fingerprint := strings.TrimPrefix(d.hostKeyFingerprint(t, "ecdsa"), "SHA256:")
	base := fmt.Sprintf("sftp://127.0.0.1:%d", d.port)
	as := func(l login, args ...string) result {
		t.Helper()
		return run(t, exec.Command(curl, append([]string{"-sS", "--hostpubsha256", fingerprint, "-u", l.name + ":" + l.password}, args...)...), "")
	}
	ampthillLogin, biggleswadeLogin := passwordLogin("ampthill"), passwordLogin("biggleswade")
	name, data := ctf(ampthill, biggleswade, 1, 100_000)
	local := d.localFile(t, name, data)

	if r := as(ampthillLogin, "-T", local, base+"/outbox/"+name); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("curl -T: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	r := as(ampthillLogin, base+"/outbox/")
	if r.code != 0 {
		t.Fatalf("curl list /outbox/: exit %d: %s", r.code, r.stderr)
	}
	if f := longLine(t, r.stdout, name); f[0] != "-r--------" || f[2] != "ampthill" || f[3] != ampthill || f[4] != fmt.Sprint(len(data)) {
		t.Errorf("curl lists /outbox/ as %q; want a read-only file of %d bytes owned by ampthill", f, len(data))
	}
	d.assertRouted(t, ampthill, biggleswade, name, data)

	got := filepath.Join(d.dir, "got.xml")
	if r := as(biggleswadeLogin, "-o", got, base+"/inbox/"+name); r.code != 0 || r.stderr != "" {
		t.Fatalf("curl download: exit %d: %s", r.code, r.stderr)
	}
	assertFile(t, got, data)

	// libssh2 reports the SFTP status code, not the server's message.
	for _, c := range []struct {
		url, stderr string
		code        int
	}{
		{base + "/inbox/" + name, "curl: (9) Upload failed: Permission denied (3/-31)", 9},
		{base + "/outbox/" + name, "curl: (79) Upload failed: Operation failed (4/-31)", 79}, // still waiting at the destination
	} {
		r := as(ampthillLogin, "-T", local, c.url)
		if r.code != c.code || strings.TrimSpace(r.stderr) != c.stderr {
			t.Errorf("curl -T %s: exit %d %q, want exit %d %q", c.url, r.code, r.stderr, c.code, c.stderr)
		}
	}
}
