package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// syscallFiles is how many CTFs the traced runs send: strace slows the
// servers a great deal, so these runs are small and untimed.
const syscallFiles = 200

// syscallCounts counts the system calls each server makes per CTF, with
// strace -f -c on the server process (and, for sshd, the session
// processes it forks).
func (b *bench) syscallCounts(ctx context.Context, run int) error {
	srcs, dirs, _, err := b.phaseFiles(ctx, run, 1, syscallFiles)
	if err != nil {
		return err
	}
	before, err := b.s2.scrape(ctx)
	if err != nil {
		return err
	}
	s2, err := traced(ctx, filepath.Join(b.tmp, "strace-s2sd.txt"), b.s2.srv.pid(), func() error {
		if _, err := b.client.run(ctx, login{b.s2.port(), "b" + srcs[0]}, dirs[0], "cd /outbox", "mput *.XML"); err != nil {
			return err
		}
		_, err := b.s2.waitRouted(ctx, before[routedMetric]+syscallFiles, 10*time.Minute)
		return err
	})
	if err != nil {
		return err
	}
	remote := filepath.Join(b.sshd.files, "strace")
	if err := os.MkdirAll(remote, 0o755); err != nil {
		return err
	}
	sd, err := traced(ctx, filepath.Join(b.tmp, "strace-sshd.txt"), b.sshd.srv.pid(), func() error {
		_, err := b.client.run(ctx, login{b.sshd.port, b.sshd.user}, dirs[0], "cd "+remote, "mput *.XML")
		return err
	})
	if err != nil {
		return err
	}
	b.rep.syscalls(syscallFiles, s2, sd)
	return nil
}

// traceResult is what strace saw a server do.
type traceResult struct {
	calls  map[string]int // by system call
	fsyncs map[string]int // fsync and fdatasync, by what they synced, AIO's included
	aio    int            // fsyncs submitted through AIO
	sleeps sleepTally     // clock_nanosleep: C code's usleep
}

// sleepTally counts the sleeps of C code. Go's runtime sleeps with
// nanosleep, so in s2sd every clock_nanosleep is glibc's usleep called
// from cgo: SQLite's busy handler, which, with HAVE_USLEEP as
// mattn/go-sqlite3 builds it, waits 1, 2, 5, 10, 15, 20, 25, 25, 25, 50,
// 50, 100 ms for a lock another connection holds.
type sleepTally struct {
	calls int
	total time.Duration
	byLen map[time.Duration]int
}

// traced runs f with strace tracing pid and its threads and children,
// and returns the count of each call, and of each fsync by its path.
func traced(ctx context.Context, out string, pid int, f func() error) (traceResult, error) {
	// -C: the trace (with -y, each descriptor's path) and the summary.
	cmd := exec.Command("strace", "-f", "-C", "-y", "-o", out, "-p", fmt.Sprint(pid))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return traceResult{}, fmt.Errorf("strace: %w", err)
	}
	time.Sleep(time.Second) // let it attach to every thread
	ferr := f()
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if ferr != nil {
		return traceResult{}, ferr
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return traceResult{}, fmt.Errorf("strace wrote no summary (%v): %s", err, strings.TrimSpace(stderr.String()))
	}
	fsyncs, aio := fsyncPaths(b)
	return traceResult{calls: parseStraceSummary(b), fsyncs: fsyncs, aio: aio, sleeps: sleeps(b)}, nil
}

// sleeps tallies "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0,
// tv_nsec=1000000}, ..." lines of a strace trace.
func sleeps(b []byte) sleepTally {
	t := sleepTally{byLen: map[time.Duration]int{}}
	for _, line := range strings.Split(string(b), "\n") {
		i := strings.Index(line, " clock_nanosleep(")
		if i < 0 {
			continue
		}
		var sec, nsec int64
		rest := line[i:]
		j := strings.Index(rest, "tv_sec=")
		k := strings.Index(rest, "tv_nsec=")
		if j < 0 || k < 0 {
			continue
		}
		if _, err := fmt.Sscanf(rest[j:], "tv_sec=%d", &sec); err != nil {
			continue
		}
		if _, err := fmt.Sscanf(rest[k:], "tv_nsec=%d", &nsec); err != nil {
			continue
		}
		d := time.Duration(sec)*time.Second + time.Duration(nsec)
		t.calls++
		t.total += d
		t.byLen[d]++
	}
	return t
}

// fsyncPaths counts the fsync and fdatasync calls in a strace -y trace
// by what they synced, with mailbox codes and file names generalised:
// "fsync(7</tmp/x/data/spool/8231000/outbox>)" counts as
// "spool/CODE/outbox". An fsync submitted through Linux AIO (io_submit
// of IOCB_CMD_FSYNC or IOCB_CMD_FDSYNC, as s2sd's CLOSE makes them)
// counts as one too; aio is how many of those there were.
func fsyncPaths(b []byte) (m map[string]int, aio int) {
	m = map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, " io_submit(") {
			for _, cb := range strings.Split(line, "aio_lio_opcode=")[1:] {
				if !strings.HasPrefix(cb, "IOCB_CMD_FSYNC") && !strings.HasPrefix(cb, "IOCB_CMD_FDSYNC") {
					continue
				}
				lt, gt := strings.IndexByte(cb, '<'), strings.IndexByte(cb, '>')
				if lt < 0 || gt < lt {
					continue
				}
				m[generalise(cb[lt+1:gt])]++
				aio++
			}
			continue
		}
		i := strings.Index(line, "sync(")
		if i < 0 || !(strings.Contains(line, " fsync(") || strings.Contains(line, " fdatasync(")) {
			continue
		}
		lt, gt := strings.IndexByte(line[i:], '<'), strings.IndexByte(line[i:], '>')
		if lt < 0 || gt < lt {
			continue
		}
		m[generalise(line[i+lt+1:i+gt])]++
	}
	return m, aio
}

func generalise(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if p == "data" || p == "files" { // s2sd's data directory, sshd's folder
			parts = parts[i+1:]
			break
		}
	}
	for i, p := range parts {
		switch {
		case i > 0 && parts[i-1] == "spool":
			parts[i] = "CODE"
		case i > 0 && (parts[i-1] == ".staging" || parts[i-1] == "outbox" || parts[i-1] == "inbox" ||
			parts[i-1] == "copies" || parts[i-1] == "mail" || parts[i-1] == "strace" || parts[i-1] == "new" ||
			parts[i-1] == "tmp" || parts[i-1] == "cur"):
			parts[i] = "FILE"
		case strings.HasSuffix(p, ".XML") || strings.HasSuffix(p, ".eml"):
			parts[i] = "FILE"
		}
	}
	if len(parts) == 0 {
		return "(the data directory)"
	}
	return strings.Join(parts, "/")
}

// parseStraceSummary reads the table strace -c prints: "% time seconds
// usecs/call calls [errors] syscall".
func parseStraceSummary(b []byte) map[string]int {
	m := map[string]int{}
	table := false // the summary follows the trace, under its header
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "% time") {
			table = true
			continue
		}
		f := strings.Fields(line)
		if !table || len(f) < 5 || f[len(f)-1] == "total" {
			continue
		}
		if _, err := strconv.ParseFloat(f[0], 64); err != nil {
			continue
		}
		calls, err := strconv.Atoi(f[3])
		if err != nil {
			continue
		}
		m[f[len(f)-1]] = calls
	}
	return m
}
