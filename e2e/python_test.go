package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pyStep is one step a paramiko script reports (see testdata/e2elib.py).
type pyStep struct {
	Step  string          `json:"step"`
	Pause bool            `json:"pause"`
	OK    bool            `json:"ok"`
	Kind  string          `json:"kind"`
	Errno int             `json:"errno"`
	Msg   string          `json:"msg"`
	Value json.RawMessage `json:"value"`
}

// pyRun is the steps of one script run, by name.
type pyRun struct {
	t     *testing.T
	steps map[string]pyStep
	out   string // everything the script printed, for failure messages
}

const python = "/usr/bin/python3" // Debian's, which has paramiko 2.12

// py runs a script of testdata against the daemon with args (host and
// port added). At each pause the script waits while onPause runs.
func (d *daemon) py(t *testing.T, script string, args map[string]any, onPause func(step string)) pyRun {
	t.Helper()
	if err := exec.Command(python, "-c", "import paramiko").Run(); err != nil {
		missing(t, "%s with paramiko is not available: %v", python, err)
	}
	all := map[string]any{"host": "127.0.0.1", "port": d.port}
	for k, v := range args {
		all[k] = v
	}
	arg, err := json.Marshal(all)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", script), string(arg))
	cmd.Env = env("PYTHONDONTWRITEBYTECODE=1") // no __pycache__ in testdata
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := pyRun{t: t, steps: map[string]pyStep{}}
	var printed strings.Builder
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		var s pyStep
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			t.Errorf("%s printed a line that is not a step: %q", script, sc.Text())
			continue
		}
		if s.Pause {
			if onPause == nil {
				t.Fatalf("%s paused at %q and the test has no pause handler", script, s.Step)
			}
			onPause(s.Step)
			io.WriteString(stdin, "go on\n")
			continue
		}
		if _, dup := r.steps[s.Step]; dup {
			t.Fatalf("%s reported step %q twice", script, s.Step)
		}
		r.steps[s.Step] = s
	}
	stdin.Close()
	r.out = printed.String()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s failed: %v\nstdout:\n%s\nstderr:\n%s", script, err, r.out, stderr.String())
	}
	return r
}

// get returns a step, which must have been reported.
func (r pyRun) get(step string) pyStep {
	r.t.Helper()
	s, ok := r.steps[step]
	if !ok {
		r.t.Fatalf("step %q was not reported; the script printed:\n%s", step, r.out)
	}
	return s
}

// ok asserts that a step succeeded and decodes its value into v (if v is
// not nil).
func (r pyRun) ok(step string, v any) {
	r.t.Helper()
	s := r.get(step)
	if !s.OK {
		r.t.Fatalf("step %q failed: %s errno=%d %q", step, s.Kind, s.Errno, s.Msg)
	}
	if v != nil {
		if err := json.Unmarshal(s.Value, v); err != nil {
			r.t.Fatalf("step %q: value %s: %v", step, s.Value, err)
		}
	}
}

// failed asserts that a step failed with exactly this errno (0: a status
// paramiko maps to no errno, such as SSH_FX_FAILURE) and message, which is
// the SFTP status message the server sent.
func (r pyRun) failed(step string, errno int, msg string) {
	r.t.Helper()
	s := r.get(step)
	if s.OK {
		r.t.Errorf("step %q succeeded with %s; want errno %d %q", step, s.Value, errno, msg)
		return
	}
	if s.Errno != errno || s.Msg != msg {
		r.t.Errorf("step %q failed with errno %d %q\nwant errno %d %q", step, s.Errno, s.Msg, errno, msg)
	}
}

// Errnos paramiko maps SFTP statuses to.
const (
	enoent = 2  // SSH_FX_NO_SUCH_FILE
	eacces = 13 // SSH_FX_PERMISSION_DENIED
)

// sftpAttrs is what the scripts report of a file's attributes.
type sftpAttrs struct {
	Size  int64  `json:"size"`
	Mode  uint32 `json:"mode"`
	Mtime int64  `json:"mtime"`
}

// sftpEntry is what the scripts report of a READDIR entry.
type sftpEntry struct {
	Size     int64  `json:"size"`
	Mode     uint32 `json:"mode"`
	Longname string `json:"longname"`
}
