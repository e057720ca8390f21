package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPhaseTransferNotices sends eight CTFs in one OpenSSH session, as
// MIS software sends a phase transfer. The router gathers the notices of
// the files it routes together: whatever the batches were, the sender's
// confirmations list every file exactly once, and so do the
// destination's "file waiting" notices. (How many emails that took
// depends on how the files fell into batches; the test logs it.)
func TestPhaseTransferNotices(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	dir := filepath.Join(d.dir, "phase")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var names []string
	for seq := 1; seq <= 8; seq++ {
		name, data := ctf(ampthill, biggleswade, seq, 2_000)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if r := d.sftp(t, passwordLogin("ampthill"), fmt.Sprintf("lcd %s\ncd /outbox\nmput *.XML\n", dir)); r.code != 0 {
		t.Fatalf("sftp mput: exit %d\n%s", r.code, r.stderr)
	}
	d.waitRouted(t)
	for _, n := range names {
		if _, err := os.Stat(filepath.Join(d.box(biggleswade, "inbox"), n)); err != nil {
			t.Fatalf("%s not routed: %v", n, err)
		}
	}
	var confirmations, waiting []email
	for _, e := range d.emails(t) {
		switch {
		case strings.HasSuffix(e.subject, " sent") || strings.Contains(e.subject, " sent to "):
			confirmations = append(confirmations, e)
		case strings.Contains(e.subject, "waiting from "+ampthill):
			waiting = append(waiting, e)
		}
	}
	check := func(what, addr string, es []email) {
		t.Helper()
		var all strings.Builder
		for _, e := range es {
			if !strings.Contains(strings.Join(e.to, ","), addr) {
				t.Errorf("%s %q went to %q, not %s", what, e.subject, e.to, addr)
			}
			all.WriteString(e.body)
		}
		for _, n := range names {
			if c := strings.Count(all.String(), n); c != 1 {
				t.Errorf("%s: %s is listed %d times in %d emails, want once", what, n, c, len(es))
			}
		}
		t.Logf("%s: %d emails for %d files", what, len(es), len(names))
	}
	check("confirmations", "office@ampthill.sch.uk", confirmations)
	check("file-waiting notices", "office@biggleswade.sch.uk", waiting)
}
