package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
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
	sym string
}

// profile is what perf says of the bulk case.
type profile struct {
	byComm   []symbolShare            // share of all samples, by command (s2sd, sshd, ssh, sftp, ...)
	self     map[string][]symbolShare // by command: top symbols by self time
	children map[string][]symbolShare // by command: top symbols by time in them and their callees
	s2sdCPU  time.Duration            // s2sd's CPU time for the upload and download
}

// commands profiled: the two servers and the OpenSSH client's
// processes (ssh does the crypto, sftp the file I/O).
var profiledComms = []string{"s2sd", "sshd", "ssh", "sftp"}

func (p *perfRecorder) analyse(ctx context.Context) (profile, error) {
	pr := profile{self: map[string][]symbolShare{}, children: map[string][]symbolShare{}}
	out, err := p.report(ctx, "--sort", "comm")
	if err != nil {
		return pr, err
	}
	pr.byComm = parseShares(out)
	for _, c := range profiledComms {
		out, err := p.report(ctx, "--comms", c, "--percentage", "relative", "--no-children", "--sort", "sym")
		if err != nil {
			return pr, err
		}
		pr.self[c] = parseShares(out)
		out, err = p.report(ctx, "--comms", c, "--percentage", "relative", "--children", "--sort", "sym")
		if err != nil {
			return pr, err
		}
		pr.children[c] = parseChildren(out)
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

// parseShares reads "  12.34%  name" lines of perf report (self time, or
// a comm), dropping the "[.]"/"[k]" marker but keeping a kernel mark.
func parseShares(out []byte) []symbolShare {
	var ss []symbolShare
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || !strings.HasSuffix(f[0], "%") {
			continue
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
		if err != nil {
			continue
		}
		ss = append(ss, symbolShare{pct, symbolName(f[1:])})
	}
	return ss
}

// parseChildren reads "  45.00%  1.00%  [.] name" lines: the first figure
// is the time in the symbol and its callees.
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
		ss = append(ss, symbolShare{pct, symbolName(f[2:])})
	}
	return ss
}

func symbolName(f []string) string {
	if len(f) >= 2 && (f[0] == "[.]" || f[0] == "[k]") {
		if f[0] == "[k]" {
			return "[k] " + strings.Join(f[1:], " ")
		}
		return strings.Join(f[1:], " ")
	}
	return strings.Join(f, " ")
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
// categories above.
func category(sym string) string {
	s := strings.ToLower(sym)
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
		m[category(s.sym)] += s.pct
		total += s.pct
	}
	// Symbols under the report's cut-off are "other".
	if total < 100 {
		m[catOther] += 100 - total
	}
	return m
}
