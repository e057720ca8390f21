package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sendCTFs sends CTFs from ampthill to biggleswade with OpenSSH, one
// batch, and returns them by name once routed.
func (d *daemon) sendCTFs(t *testing.T, l login, seqs ...int) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	var batch []string
	for _, seq := range seqs {
		name, data := ctf(ampthill, biggleswade, seq, 50_000+seq)
		files[name] = data
		batch = append(batch, "put "+d.localFile(t, name, data)+" /outbox/"+name)
	}
	if r := d.sftp(t, l, strings.Join(batch, "\n")+"\n"); r.code != 0 {
		t.Fatalf("sftp put: exit %d\n%s", r.code, r.stderr)
	}
	for name, data := range files {
		d.assertRouted(t, ampthill, biggleswade, name, data)
	}
	return files
}

// assertReceives checks, with OpenSSH, that l's /inbox holds exactly
// files, and downloads each to compare its bytes.
func (d *daemon) assertReceives(t *testing.T, l login, files map[string][]byte) {
	t.Helper()
	got := filepath.Join(d.dir, "got-"+l.name)
	if err := os.MkdirAll(got, 0o700); err != nil {
		t.Fatal(err)
	}
	batch := []string{"ls -1 /inbox"}
	var names []string
	for name := range files {
		names = append(names, name)
		batch = append(batch, "get /inbox/"+name+" "+filepath.Join(got, name))
	}
	slices.Sort(names)
	r := d.sftp(t, l, strings.Join(batch, "\n")+"\n")
	if r.code != 0 {
		t.Fatalf("sftp as %s: exit %d\n%s", l.name, r.code, r.stderr)
	}
	var listed []string
	for _, line := range lines(r.stdout) {
		if strings.HasPrefix(line, "/inbox/") {
			listed = append(listed, strings.TrimPrefix(strings.TrimSpace(line), "/inbox/"))
		}
	}
	if !slices.Equal(listed, names) {
		t.Errorf("%s's /inbox lists %q, want %q", l.name, listed, names)
	}
	for name, data := range files {
		assertFile(t, filepath.Join(got, name), data)
	}
}

// TestRestart stops the daemon with SIGTERM and starts it again: the
// accounts still log in, with a key and a password, and the files sent
// still wait, byte for byte, and were routed only once.
func TestRestart(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	key := login{name: "ampthillkey", key: d.keyUser(t, "ampthillkey", ampthill)}
	files := d.sendCTFs(t, key, 1, 2, 3)
	back, backData := ctf(biggleswade, ampthill, 1, 10_000)
	if r := d.sftp(t, passwordLogin("biggleswade"), "put "+d.localFile(t, back, backData)+" /outbox/"+back+"\n"); r.code != 0 {
		t.Fatalf("sftp put: exit %d\n%s", r.code, r.stderr)
	}
	d.assertRouted(t, biggleswade, ampthill, back, backData)

	d.stop(t)
	d.start(t)
	d.assertReceives(t, passwordLogin("biggleswade"), files)
	d.assertReceives(t, key, map[string][]byte{back: backData})
	for name := range files {
		if n := d.transfers(t, name); n != 1 {
			t.Errorf("%d transfers of %s, want 1", n, name)
		}
	}
	d.verify(t)
}

// TestCrashDuringUpload kills the daemon with SIGKILL in the middle of an
// upload: after the restart the partial upload is gone, staging is empty,
// and the acknowledged files are still there, routed once.
func TestCrashDuringUpload(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	key := login{name: "ampthillkey", key: d.keyUser(t, "ampthillkey", ampthill)}
	files := d.sendCTFs(t, key, 1, 2)
	partial, partialData := ctf(ampthill, biggleswade, 3, 400_000)
	staging := d.box(ampthill, ".staging")

	r := d.py(t, "sftp_probe.py", map[string]any{
		"user": "ampthill", "password": password("ampthill"), "mode": "upload",
		"name": partial, "file": d.localFile(t, partial, partialData),
	}, func(string) {
		st := staged(t, staging)
		if len(st) != 1 {
			t.Fatalf("staging holds %q in the middle of the upload, want one file", st)
		}
		assertFile(t, filepath.Join(staging, st[0]), partialData[:len(partialData)/2])
		d.crash(t)
	})
	r.ok("open", nil)
	r.ok("write_first_half", nil)
	if s := r.get("close"); s.OK {
		t.Errorf("closing the upload succeeded although the daemon was killed")
	}
	if st := staged(t, staging); len(st) != 1 {
		t.Errorf("before the restart staging holds %q, want the partial upload the crash left", st)
	}

	d.start(t)
	waitEntries(t, staging)
	for _, dir := range []string{d.box(ampthill, "outbox"), d.box(ampthill, "rejected")} {
		waitEntries(t, dir)
	}
	for name, data := range files {
		d.assertRouted(t, ampthill, biggleswade, name, data)
		if n := d.transfers(t, name); n != 1 {
			t.Errorf("%d transfers of %s, want 1", n, name)
		}
	}
	d.assertReceives(t, passwordLogin("biggleswade"), files)
	if n := d.transfers(t, partial); n != 0 {
		t.Errorf("%d transfers of the partial upload %s, want none", n, partial)
	}
	d.verify(t)
}

// TestGracefulShutdown sends SIGTERM while an upload is in flight: new
// connections are refused at once, the upload finishes and is
// acknowledged, and the daemon exits 0 when the session ends.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	name, data := ctf(ampthill, biggleswade, 1, 300_000)
	r := d.py(t, "sftp_probe.py", map[string]any{
		"user": "ampthill", "password": password("ampthill"), "mode": "upload",
		"name": name, "file": d.localFile(t, name, data),
	}, func(string) {
		if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			c, err := net.DialTimeout("tcp", d.addr(), time.Second)
			if errors.Is(err, syscall.ECONNREFUSED) {
				break
			}
			if err == nil {
				c.Close()
			}
			if time.Now().After(deadline) {
				t.Fatalf("the daemon still accepts connections 5s after SIGTERM (%v)", err)
			}
		}
		if !d.running() {
			t.Fatalf("the daemon exited with an upload in flight:\n%s", d.logText())
		}
	})
	for _, s := range []string{"open", "write_first_half", "write_second_half", "close"} {
		r.ok(s, nil)
	}
	var a sftpAttrs
	r.ok("stat", &a)
	if a.Size != int64(len(data)) || a.Mode != modeSent {
		t.Errorf("%s after close: size %d mode %o, want size %d mode %o", name, a.Size, a.Mode, len(data), modeSent)
	}
	d.waitExit(t)
	if !strings.Contains(d.logText(), `"message":"shutting down"`) {
		t.Errorf("the daemon did not log its shutdown:\n%s", d.logText())
	}
	// Routed before the exit, or at the next start.
	d.start(t)
	d.assertRouted(t, ampthill, biggleswade, name, data)
	if n := d.transfers(t, name); n != 1 {
		t.Errorf("%d transfers of %s, want 1", n, name)
	}
	d.verify(t)
}

// TestSIGHUP sends SIGHUP, which SPEC section 10 makes the signal to
// reload what can change without a restart (systemctl reload): the daemon
// must keep running and serving.
func TestSIGHUP(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
		t.Fatalf("s2sd serve ended on SIGHUP (%v):\n%s", d.cmd.ProcessState, d.logText())
	case <-time.After(time.Second):
	}
	d.waitLog(t, "SIGHUP: configuration re-read; nothing changed")
	if r := d.sftp(t, passwordLogin("ampthill"), "ls /\n"); r.code != 0 {
		t.Errorf("sftp after SIGHUP: exit %d\n%s", r.code, r.stderr)
	}
}

// TestSecondServeRefused: `s2sd serve` on a data directory another one is
// serving exits at once with a message naming it, and leaves the first
// serving; once the first is killed (kill -9), the lock goes with it and
// a new one starts.
func TestSecondServeRefused(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	second := exec.Command(build.bin, d.serve...)
	second.Dir, second.Env = d.dir, env()
	out, err := second.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() == 0 {
		t.Fatalf("second s2sd serve: %v, want a non-zero exit\n%s", err, out)
	}
	want := fmt.Sprintf("data directory %s is being served by process %d: stop that s2sd before starting another on the same data directory", d.data, d.cmd.Process.Pid)
	if !strings.Contains(string(out), want) {
		t.Fatalf("second s2sd serve said:\n%s\nwant %q", out, want)
	}
	d.sendCTFs(t, passwordLogin("ampthill"), 1)

	d.crash(t)
	d.start(t)
	d.sendCTFs(t, passwordLogin("ampthill"), 2)
}
