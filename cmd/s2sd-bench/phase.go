package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// phaseMode is one shape of the phase transfer: one session, or several
// in parallel from different schools.
type phaseMode struct {
	sessions int
	cmp      *phaseMode // the -compare binary's results (its s2sd fields); nil without it
	// Results, one per repetition.
	s2sdAcked, s2sdRouted, sshd, floor []time.Duration
	s2sdCPU                            []time.Duration // s2sd's CPU time from the start until routed
	s2sdSwitches                       []int64         // s2sd's context switches, likewise
	s2sdDurable                        []time.Duration // mean per acknowledgement of s2sd_upload_durable_seconds; none from a binary without it
	s2sdMachine, sshdMachine           []int64         // the machine's context switches in each run
	histP50, histP99                   []time.Duration // routing latency from s2sd's histogram
	fileP50, fileP99                   []time.Duration // close-to-inbox from each file's mtime and ctime
}

// phase sends N CTFs of 1-50 KB with OpenSSH's sftp (mput) in one
// session, then in several at once, to each server in turn; and measures
// the fsync floor, the cost of making each file durable on its own, in
// the same run. s2sd's time is until the last file is routed (its
// routed_files_total reaches the count); OpenSSH's until sftp exits, the
// last file written (not fsynced: sftp-server never fsyncs).
func (b *bench) phase(ctx context.Context) error {
	for _, s := range b.s2sds() {
		if err := s.mailbox(ctx, bulkFrom); err != nil { // the LA, with copies on, as in production
			return err
		}
	}
	modes := []*phaseMode{{sessions: 1}, {sessions: b.o.parallel}}
	if b.s2b != nil {
		for _, m := range modes {
			m.cmp = &phaseMode{sessions: m.sessions}
		}
	}
	run := 0
	for rep := range b.o.reps {
		for _, m := range modes {
			if err := b.phaseRun(ctx, rep, run, m); err != nil {
				return err
			}
			run++
		}
	}
	b.rep.phase(b.o.ctfs, modes)
	if _, err := os.Stat("/usr/bin/strace"); err == nil {
		return b.syscallCounts(ctx, run)
	}
	b.rep.note("strace is not installed: no system call counts per file.")
	return nil
}

// s2sds are the s2sd servers: the one measured and any -compare one.
func (b *bench) s2sds() []*s2sdServer {
	if b.s2b != nil {
		return []*s2sdServer{b.s2, b.s2b}
	}
	return []*s2sdServer{b.s2}
}

// phaseFiles writes the CTFs of one run: n in all, from sessions
// schools, over fresh destinations (a name stays taken while it waits).
func (b *bench) phaseFiles(ctx context.Context, run, sessions, n int) (srcs []string, dirs []string, sizes []int, err error) {
	var dests []string
	for i := range (n + 999) / 1000 {
		d := fmt.Sprintf("823%04d", 2000+run*10+i)
		for _, s := range b.s2sds() {
			if err := s.mailbox(ctx, d); err != nil {
				return nil, nil, nil, err
			}
		}
		dests = append(dests, d)
	}
	for s := range sessions {
		src := fmt.Sprintf("823%04d", 1000+s)
		if sessions > 1 {
			src = fmt.Sprintf("823%04d", 1001+s)
		}
		for _, s := range b.s2sds() {
			if _, err := s.user(ctx, src); err != nil {
				return nil, nil, nil, err
			}
		}
		dir := filepath.Join(b.tmp, "phase", fmt.Sprint(run), src)
		sz, err := writeCTFs(dir, ctfPlan(src, dests, n/sessions), uint64(run*100+s))
		if err != nil {
			return nil, nil, nil, err
		}
		srcs, dirs, sizes = append(srcs, src), append(dirs, dir), append(sizes, sz...)
	}
	return srcs, dirs, sizes, nil
}

func (b *bench) phaseRun(ctx context.Context, rep, run int, m *phaseMode) error {
	n := b.o.ctfs
	srcs, dirs, sizes, err := b.phaseFiles(ctx, run, m.sessions, n)
	if err != nil {
		return err
	}
	// No file the runs make is removed before the bench ends (see createCost).
	s2sdRun := func(s2 *s2sdServer, m *phaseMode) error {
		before, err := s2.scrape(ctx)
		if err != nil {
			return err
		}
		h0, err := s2.latencyHistogram(ctx)
		if err != nil {
			return err
		}
		sw0, all0 := contextSwitches(s2.srv.pid()), machineSwitches()
		start := time.Now()
		acked, err := b.sessions(ctx, len(srcs), func(i int) (time.Duration, error) {
			return b.client.run(ctx, login{s2.port(), "b" + srcs[i]}, dirs[i], "cd /outbox", "mput *.XML")
		})
		if err != nil {
			return err
		}
		b.progress("phase: %d CTFs, %d session(s): %s acked %v; waiting for routing", n, m.sessions, s2.name, acked.Round(time.Millisecond))
		at, err := s2.waitRouted(ctx, before[routedMetric]+float64(n), 30*time.Minute)
		if err != nil {
			return err
		}
		m.s2sdSwitches = append(m.s2sdSwitches, contextSwitches(s2.srv.pid())-sw0)
		m.s2sdMachine = append(m.s2sdMachine, machineSwitches()-all0)
		after, err := s2.scrape(ctx)
		if err != nil {
			return err
		}
		h1, err := s2.latencyHistogram(ctx)
		if err != nil {
			return err
		}
		h := h1.since(h0)
		m.s2sdCPU = append(m.s2sdCPU, time.Duration((after[cpuMetric]-before[cpuMetric])*float64(time.Second)))
		if acks := after[durableMetric+"_count"] - before[durableMetric+"_count"]; acks > 0 {
			sum := after[durableMetric+"_sum"] - before[durableMetric+"_sum"]
			m.s2sdDurable = append(m.s2sdDurable, time.Duration(sum/acks*float64(time.Second)))
		}
		lat, err := closeToInbox(s2, dirs)
		if err != nil {
			return err
		}
		m.s2sdAcked, m.s2sdRouted = append(m.s2sdAcked, acked), append(m.s2sdRouted, at.Sub(start))
		m.histP50, m.histP99 = append(m.histP50, h.quantile(0.5)), append(m.histP99, h.quantile(0.99))
		m.fileP50, m.fileP99 = append(m.fileP50, percentile(lat, 50)), append(m.fileP99, percentile(lat, 99))
		b.progress("phase: %d CTFs, %d session(s): %s acked %v, routed %v (latency p50 %v p99 %v)", n, m.sessions, s2.name,
			acked.Round(time.Millisecond), at.Sub(start).Round(time.Millisecond), h.quantile(0.5).Round(time.Millisecond), h.quantile(0.99).Round(time.Millisecond))
		return nil
	}
	sshdRun := func() error {
		remote := filepath.Join(b.sshd.files, fmt.Sprintf("phase%d", run))
		for _, s := range srcs {
			if err := os.MkdirAll(filepath.Join(remote, s), 0o755); err != nil {
				return err
			}
		}
		all0 := machineSwitches()
		d, err := b.sessions(ctx, len(srcs), func(i int) (time.Duration, error) {
			return b.client.run(ctx, login{b.sshd.port, b.sshd.user}, dirs[i], "cd "+filepath.Join(remote, srcs[i]), "mput *.XML")
		})
		if err != nil {
			return err
		}
		m.sshd, m.sshdMachine = append(m.sshd, d), append(m.sshdMachine, machineSwitches()-all0)
		b.progress("phase: %d CTFs, %d session(s): sshd written %v", n, m.sessions, d.Round(time.Millisecond))
		return nil
	}
	runs := []func() error{func() error { return s2sdRun(b.s2, m) }}
	if b.s2b != nil {
		runs = append(runs, func() error { return s2sdRun(b.s2b, m.cmp) })
	}
	runs = append(runs, sshdRun)
	if err := rotate(rep, runs...); err != nil {
		return err
	}
	flushDirty()
	d, err := fsyncFloor(filepath.Join(b.tmp, "floor", fmt.Sprint(run)), sizes, m.sessions)
	if err != nil {
		return err
	}
	m.floor = append(m.floor, d)
	b.progress("phase: fsync floor for %d files, %d writer(s): %v (%v a file)", n, m.sessions, d.Round(time.Millisecond), (d / time.Duration(n)).Round(time.Microsecond))
	return nil
}

// sessions runs n sessions at once and returns when the last ends: the
// time from the start to the end of the slowest.
func (b *bench) sessions(ctx context.Context, n int, f func(i int) (time.Duration, error)) (time.Duration, error) {
	start := time.Now()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f(i)
		}()
	}
	wg.Wait()
	took := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return took, err
		}
	}
	return took, nil
}

// closeToInbox returns, for every file of a run now in an s2sd inbox, the
// time from its last write (mtime, kept by the rename) to its arrival in
// the inbox (ctime, set by the rename and the LA copy's link). It is the
// routing latency plus the acknowledgement's own fsyncs, per file, with
// no bucketing.
func closeToInbox(s2 *s2sdServer, dirs []string) ([]time.Duration, error) {
	var ds []time.Duration
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			dst := e.Name()[12:19] // SSSSSSS_CTF_DDDDDDD_NNN.XML
			var st unix.Stat_t
			if err := unix.Stat(filepath.Join(s2.inbox(dst), e.Name()), &st); err != nil {
				return nil, fmt.Errorf("routed file not in its inbox: %w", err)
			}
			ds = append(ds, time.Duration(st.Ctim.Nano()-st.Mtim.Nano()))
		}
	}
	return ds, nil
}

// fsyncFloor writes files of the given sizes into dir as a durable upload
// must at the least: create, write, fsync the file, fsync the directory,
// one file after another, spread over writers at once. It returns the
// time for them all.
func fsyncFloor(dir string, sizes []int, writers int) (time.Duration, error) {
	buf := make([]byte, 50*1024)
	for i := range buf {
		buf[i] = byte('a' + i%26)
	}
	dirs := make([]string, writers)
	for w := range writers {
		dirs[w] = filepath.Join(dir, fmt.Sprint(w))
		if err := os.MkdirAll(dirs[w], 0o755); err != nil {
			return 0, err
		}
	}
	start := time.Now()
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(sizes); i += writers {
				if err := durableWrite(dirs[w], fmt.Sprintf("f%05d", i), buf[:sizes[i]]); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return took, err
		}
	}
	return took, nil
}

func durableWrite(dir, name string, data []byte) error {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
