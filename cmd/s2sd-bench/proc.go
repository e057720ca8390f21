package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a long-running child process in a process group of its own,
// so that stopping it also stops whatever it forked (sshd's sessions).
type server struct {
	name string
	cmd  *exec.Cmd
	done chan error
}

// startServer starts cmd in its own process group, dying with the bench
// if the bench is killed.
func startServer(name string, cmd *exec.Cmd, log string) (*server, error) {
	f, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, done: make(chan error, 1)}
	go func() {
		s.done <- cmd.Wait()
		f.Close()
	}()
	return s, nil
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop sends SIGTERM to the server's process group, then SIGKILL if it
// has not exited within grace.
func (s *server) stop(grace time.Duration) {
	pgid := s.cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(grace):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-s.done
	}
	// Anything the leader left behind in its group.
	syscall.Kill(-pgid, syscall.SIGKILL)
}

// exited reports the server's exit, if it has exited.
func (s *server) exited() error {
	select {
	case err := <-s.done:
		s.done <- err
		return fmt.Errorf("%s exited: %v", s.name, err)
	default:
		return nil
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitListening waits until addr accepts connections or the server exits.
func waitListening(ctx context.Context, s *server, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if e := s.exited(); e != nil {
			return e
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is not listening on %s after %v: %v", s.name, addr, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// memory is a process's resident memory from /proc/PID/status.
type memory struct {
	RSS, HWM int64 // bytes: VmRSS and VmHWM (peak RSS)
}

func readMemory(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	defer f.Close()
	var m memory
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		switch k {
		case "VmRSS":
			m.RSS, err = kib(v)
		case "VmHWM":
			m.HWM, err = kib(v)
		}
		if err != nil {
			return m, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
	}
	return m, sc.Err()
}

func kib(v string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
	return n * 1024, err
}

// treePSS sums the proportional set size of process root and all its
// descendants: the memory a forking server (sshd, whose sessions each
// start a session and process group of their own) really holds.
func treePSS(root int) (total int64, procs int, err error) {
	pt, err := readProcesses()
	if err != nil {
		return 0, 0, err
	}
	for pid := range pt {
		if !pt.descends(pid, root) {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "Pss:"); ok {
				n, err := kib(v)
				if err != nil {
					return 0, 0, fmt.Errorf("/proc/%d/smaps_rollup: %w", pid, err)
				}
				total += n
				procs++
			}
		}
	}
	if procs == 0 {
		return 0, 0, errors.New("no process found")
	}
	return total, procs, nil
}

// process is a process's parent and command name.
type process struct {
	ppid int
	comm string
}

// processTable is every process, by pid.
type processTable map[int]process

func readProcesses() (processTable, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	pt := processTable{}
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // exited meanwhile
		}
		s := string(b)
		open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || end < open {
			continue
		}
		f := strings.Fields(s[end+1:])
		if len(f) > 1 {
			ppid, _ := strconv.Atoi(f[1])
			pt[pid] = process{ppid: ppid, comm: s[open+1 : end]}
		}
	}
	return pt, nil
}

// descends reports whether pid is root or one of its descendants.
func (pt processTable) descends(pid, root int) bool {
	for i := 0; pid > 1 && i < 64; i++ {
		if pid == root {
			return true
		}
		pid = pt[pid].ppid
	}
	return false
}

// cpuTime is a process's user and system CPU time so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(string(b), ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	const hz = 100 // USER_HZ on Linux
	return time.Duration(ut+st) * time.Second / hz, nil
}

// contextSwitches sums the voluntary and involuntary context switches of
// every thread of process pid, from /proc; 0 if it cannot be read. A
// thread that exits takes its count with it, which Go's threads rarely do.
func contextSwitches(pid int) int64 {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	var n int64
	for _, t := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/status", pid, t.Name()))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if ok && (k == "voluntary_ctxt_switches" || k == "nonvoluntary_ctxt_switches") {
				c, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				n += c
			}
		}
	}
	return n
}

// machineSwitches is the machine's count of context switches since boot
// (/proc/stat ctxt); 0 if it cannot be read.
func machineSwitches() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "ctxt "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return 0
}
