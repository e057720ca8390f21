package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// perfRecorder samples every CPU, with call graphs, while it runs:
// system-wide, so that s2sd, sshd's session process and the sftp and ssh
// clients are all in one profile and can be compared.
type perfRecorder struct {
	data string
	cmd  *exec.Cmd
	done chan error
}

func startPerf(ctx context.Context, data string) (*perfRecorder, error) {
	if _, err := exec.LookPath("perf"); err != nil {
		return nil, fmt.Errorf("perf is not installed (apt-get install linux-perf)")
	}
	cmd := exec.Command("perf", "record", "-a", "-g", "-e", "cpu-clock", "-F", "999", "-o", data)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("perf record: %w", err)
	}
	p := &perfRecorder{data: data, cmd: cmd, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	select { // let it attach before the work starts
	case err := <-p.done:
		return nil, fmt.Errorf("perf record exited: %v: %s", err, strings.TrimSpace(stderr.String()))
	case <-time.After(time.Second):
	}
	return p, nil
}

func (p *perfRecorder) stop() error {
	p.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-p.done:
		return nil // perf exits non-zero on SIGINT on some versions
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("perf record did not stop on SIGINT")
	}
}

// symbolShare is a symbol's share of a process's samples.
type symbolShare struct {
	pct float64
	dso string // the binary or library, "[kernel.kallsyms]" for the kernel
	sym string
}

// profile is what perf says of the bulk case.
type profile struct {
	byComm   []symbolShare            // share of all samples, by command (s2sd, sshd, ssh, sftp, ...)
	self     map[string][]symbolShare // by command: top symbols by self time
	children map[string][]symbolShare // by command: top symbols by time in them and their callees
	s2sdCPU  time.Duration            // s2sd's CPU time for the upload and download
	owners   map[string]float64       // s2sd's samples by the package they work for
}

// profiledComms are the processes profiled: the two servers and the
// OpenSSH client's (ssh does the crypto, sftp the file I/O).
var profiledComms = []string{"s2sd", "sshd", "ssh", "sftp"}

// pidWatch notes, while the profiled transfers run, which processes are
// whose: the machine is shared, and other people's tests run s2sd, sshd
// and sftp too, so the profile is cut by process id, not by name.
type pidWatch struct {
	stop, done chan struct{}
	pids       map[string]map[int]bool // by profiledComms
}

// watchPIDs polls the process table: s2sd is s2sdPID; sshd is sshdPID
// and its descendants; ssh and sftp are the bench's own children.
func watchPIDs(s2sdPID, sshdPID int) *pidWatch {
	w := &pidWatch{stop: make(chan struct{}), done: make(chan struct{}), pids: map[string]map[int]bool{}}
	for _, c := range profiledComms {
		w.pids[c] = map[int]bool{}
	}
	w.pids["s2sd"][s2sdPID] = true
	me := os.Getpid()
	go func() {
		defer close(w.done)
		for {
			if pt, err := readProcesses(); err == nil {
				for pid, p := range pt {
					switch {
					case pt.descends(pid, sshdPID):
						w.pids["sshd"][pid] = true
					case pid != me && pt.descends(pid, me) && (p.comm == "ssh" || p.comm == "sftp"):
						w.pids[p.comm][pid] = true
					}
				}
			}
			select {
			case <-w.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return w
}

// list stops the watch and returns each process's pids, comma-separated.
func (w *pidWatch) list() map[string]string {
	close(w.stop)
	<-w.done
	m := map[string]string{}
	for c, pids := range w.pids {
		var s []string
		for p := range pids {
			s = append(s, strconv.Itoa(p))
		}
		m[c] = strings.Join(s, ",")
	}
	return m
}

func (p *perfRecorder) analyse(ctx context.Context, pids map[string]string) (profile, error) {
	pr := profile{self: map[string][]symbolShare{}, children: map[string][]symbolShare{}}
	out, err := p.report(ctx, "--no-children", "--sort", "comm")
	if err != nil {
		return pr, err
	}
	for _, s := range parseShares(out) {
		pr.byComm = append(pr.byComm, symbolShare{pct: s.pct, sym: s.dso})
	}
	for _, c := range profiledComms {
		if pids[c] == "" {
			continue
		}
		out, err := p.report(ctx, "--pid", pids[c], "--percentage", "relative", "--no-children", "--sort", "dso,sym")
		if err != nil {
			return pr, err
		}
		pr.self[c] = parseShares(out)
		out, err = p.report(ctx, "--pid", pids[c], "--percentage", "relative", "--children", "--sort", "dso,sym")
		if err != nil {
			return pr, err
		}
		pr.children[c] = parseChildren(out)
	}
	if pids["s2sd"] != "" {
		if pr.owners, err = p.owners(ctx, pids["s2sd"]); err != nil {
			return pr, err
		}
	}
	return pr, nil
}

func (p *perfRecorder) report(ctx context.Context, args ...string) ([]byte, error) {
	args = append([]string{"report", "-i", p.data, "--stdio", "-g", "none", "--percent-limit", "0.2"}, args...)
	out, err := exec.CommandContext(ctx, "perf", args...).Output()
	if err != nil {
		return nil, fmt.Errorf("perf %s: %w", strings.Join(args, " "), err)
	}
	return out, nil
}

// parseShares reads the "  12.34%  dso  [.] symbol" lines of perf
// report --no-children --sort dso,sym (or "  12.34%  comm" for --sort
// comm, the comm then in dso), dropping the "[.]"/"[k]" marker but
// marking kernel symbols "[k] ".
func parseShares(out []byte) []symbolShare {
	var ss []symbolShare
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.HasSuffix(f[0], "%") {
			continue
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
		if err != nil {
			continue
		}
		ss = append(ss, share(pct, f[1:]))
	}
	return ss
}

// parseChildren reads "  45.00%  1.00%  dso  [.] symbol" lines: the first
// figure is the time in the symbol and its callees.
func parseChildren(out []byte) []symbolShare {
	var ss []symbolShare
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || !strings.HasSuffix(f[0], "%") || !strings.HasSuffix(f[1], "%") {
			continue
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
		if err != nil {
			continue
		}
		ss = append(ss, share(pct, f[2:]))
	}
	return ss
}

// share reads "dso [.] symbol words", or a lone name.
func share(pct float64, f []string) symbolShare {
	if len(f) >= 3 && (f[1] == "[.]" || f[1] == "[k]") {
		sym := strings.Join(f[2:], " ")
		if f[1] == "[k]" {
			sym = "[k] " + sym
		}
		return symbolShare{pct: pct, dso: f[0], sym: sym}
	}
	return symbolShare{pct: pct, dso: strings.Join(f, " ")}
}

// Categories of CPU time in the bulk case.
const (
	catCipher  = "cipher (AES-GCM)"
	catHash    = "SHA-256 (routing hashes the file)"
	catCopy    = "copies (memmove, copy to/from user)"
	catKernel  = "kernel: syscalls, fs, net, scheduler"
	catSFTP    = "pkg/sftp packet handling"
	catSSH     = "x/crypto/ssh framing (not cipher)"
	catRuntime = "Go runtime: GC, allocation, scheduler"
	catOther   = "other"
)

var categoryOrder = []string{catCipher, catHash, catCopy, catKernel, catSFTP, catSSH, catRuntime, catOther}

// category files a symbol (as parsed from perf report) under one of the
// categories above. OpenSSH's binaries have no symbols here, so its
// time in libcrypto counts as cipher: in a bulk transfer it is AES-GCM.
func category(sh symbolShare) string {
	if strings.HasPrefix(sh.dso, "libcrypto") && !strings.Contains(sh.sym, "mem") {
		return catCipher
	}
	s := strings.ToLower(sh.sym)
	kernel := strings.HasPrefix(s, "[k] ")
	switch {
	case strings.Contains(s, "memmove") || strings.Contains(s, "memcpy") || strings.Contains(s, "memclr") ||
		strings.Contains(s, "memset") || strings.Contains(s, "copy_user") || strings.Contains(s, "copy_page") ||
		strings.Contains(s, "copyin") || strings.Contains(s, "copyout") || strings.Contains(s, "rep_movs"):
		return catCopy
	case kernel:
		return catKernel
	case strings.Contains(s, "sha256") || strings.Contains(s, "sha2"):
		return catHash
	case strings.Contains(s, "aes") || strings.Contains(s, "gcm") || strings.Contains(s, "ghash") ||
		strings.Contains(s, "gf128") || strings.Contains(s, "chacha") || strings.Contains(s, "poly1305") ||
		strings.Contains(s, "evp_") || strings.Contains(s, "cipher"):
		return catCipher
	case strings.HasPrefix(s, "github.com/pkg/sftp"):
		return catSFTP
	case strings.HasPrefix(s, "golang.org/x/crypto/ssh"):
		return catSSH
	case strings.HasPrefix(s, "runtime.") || strings.HasPrefix(s, "internal/runtime") || strings.HasPrefix(s, "gc"):
		return catRuntime
	}
	return catOther
}

// split sums self-time shares by category.
func split(self []symbolShare) map[string]float64 {
	m := map[string]float64{}
	total := 0.0
	for _, s := range self {
		m[category(s)] += s.pct
		total += s.pct
	}
	// Symbols under the report's cut-off are "other".
	if total < 100 {
		m[catOther] += 100 - total
	}
	return m
}
