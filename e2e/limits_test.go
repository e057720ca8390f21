package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenSSHLimits: s2sd answers OpenSSH's limits@openssh.com, so that
// its sftp client moves 255 KiB per request as it does with OpenSSH's
// own server and keeps four requests outstanding (see announcedHandles),
// and a file several requests long still arrives whole, up and down.
func TestOpenSSHLimits(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	name, data := ctf(ampthill, biggleswade, 1, 3<<20+12345)
	r := d.sftp(t, passwordLogin("ampthill"), "put "+d.localFile(t, name, data)+" /outbox/"+name+"\n", "-vvv")
	if r.code != 0 {
		t.Fatalf("sftp put: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		`Server supports extension "limits@openssh.com" revision 1`,
		"Received limits reply T:201 I:1",
		"server handle limit 4; using 4",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("sftp -vvv did not print %q:\n%s", want, debugLines(r.stderr))
		}
	}
	d.assertRouted(t, ampthill, biggleswade, name, data)
	got := filepath.Join(d.dir, "got.xml")
	r = d.sftp(t, passwordLogin("biggleswade"), "get /inbox/"+name+" "+got+"\n")
	if r.code != 0 {
		t.Fatalf("sftp get: exit %d\n%s", r.code, r.stderr)
	}
	if b, err := os.ReadFile(got); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("downloaded %d bytes (%v), want the %d uploaded", len(b), err, len(data))
	}
}

// debugLines keeps the lines of sftp's debug output about the SFTP
// session.
func debugLines(stderr string) string {
	var out []string
	for _, l := range lines(stderr) {
		if strings.Contains(l, "sftp") || strings.Contains(l, "imit") || strings.Contains(l, "xtension") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
