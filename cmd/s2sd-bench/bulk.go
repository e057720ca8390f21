package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// The LA mailboxes of the bulk and zip workloads: LA to LA generic files.
const (
	bulkFrom = "823LLLL"
	bulkTo   = "801LLLL"
)

// timings are the durations of one measurement on each server.
type timings struct {
	s2sd, sshd []time.Duration
}

// bulk uploads one large generic zip and downloads it again with OpenSSH's
// sftp, on each server in turn. s2sd's upload time is until CLOSE returns
// OK (the file fsynced in the outbox); its download reads the routed file
// from the destination's inbox. Downloads go to /dev/null on both.
func (b *bench) bulk(ctx context.Context) error {
	local := filepath.Join(b.tmp, "bulk.zip")
	b.progress("bulk: writing a %d MiB zip", b.o.bulkSize/mib)
	if err := writeZip(local, b.o.bulkSize, 1); err != nil {
		return err
	}
	defer os.Remove(local)
	from, err := b.s2.user(ctx, bulkFrom)
	if err != nil {
		return err
	}
	to, err := b.s2.user(ctx, bulkTo)
	if err != nil {
		return err
	}
	var up, down timings
	var route []time.Duration
	// OpenSSH's sftp asks the server for its limits (limits@openssh.com)
	// and then reads and writes 255 KiB at a time; s2sd answers as
	// sftp-server does. sshd with the client's default 32 KiB shows what
	// the request size is worth.
	var smallUp, smallDown []time.Duration
	small := []string{"-B", "32768"}
	n := 0 // files routed so far by this s2sd
	if m, err := b.s2.scrape(ctx); err == nil {
		n = int(m[routedMetric])
	} else {
		return err
	}
	sshdLogin := login{b.sshd.port, b.sshd.user}
	s2sdRun := func(rep int, record bool) error {
		name := fmt.Sprintf("%s_%s_BULK%d.ZIP", bulkFrom, bulkTo, rep)
		d, err := b.client.run(ctx, login{b.s2.port(), from}, b.tmp, "put "+local+" /outbox/"+name)
		if err != nil {
			return err
		}
		acked := time.Now()
		n++
		routedAt, err := b.s2.waitRouted(ctx, float64(n), 10*time.Minute)
		if err != nil {
			return err
		}
		flushDirty()
		dd, err := b.client.run(ctx, login{b.s2.port(), to}, b.tmp, "get /inbox/"+name+" /dev/null")
		if err != nil {
			return err
		}
		if record {
			up.s2sd, down.s2sd, route = append(up.s2sd, d), append(down.s2sd, dd), append(route, routedAt.Sub(acked))
			b.progress("bulk: s2sd up %v (%.0f MiB/s), routed %v later, down %v", d.Round(time.Millisecond), mibps(b.o.bulkSize, d), routedAt.Sub(acked).Round(time.Millisecond), dd.Round(time.Millisecond))
		}
		return nil
	}
	sshdRun := func(rep int, record bool) error {
		remote := filepath.Join(b.sshd.files, fmt.Sprintf("bulk%d.zip", rep))
		defer os.Remove(remote)
		d, err := b.client.run(ctx, sshdLogin, b.tmp, "put "+local+" "+remote)
		if err != nil {
			return err
		}
		flushDirty()
		dd, err := b.client.run(ctx, sshdLogin, b.tmp, "get "+remote+" /dev/null")
		if err != nil {
			return err
		}
		if !record {
			return nil
		}
		up.sshd, down.sshd = append(up.sshd, d), append(down.sshd, dd)
		b.progress("bulk: sshd up %v (%.0f MiB/s), down %v", d.Round(time.Millisecond), mibps(b.o.bulkSize, d), dd.Round(time.Millisecond))
		os.Remove(remote)
		flushDirty()
		if d, err = b.client.runOpts(ctx, sshdLogin, b.tmp, small, "put "+local+" "+remote); err != nil {
			return err
		}
		flushDirty()
		if dd, err = b.client.runOpts(ctx, sshdLogin, b.tmp, small, "get "+remote+" /dev/null"); err != nil {
			return err
		}
		smallUp, smallDown = append(smallUp, d), append(smallDown, dd)
		b.progress("bulk: sshd with -B 32768 up %v (%.0f MiB/s), down %v", d.Round(time.Millisecond), mibps(b.o.bulkSize, d), dd.Round(time.Millisecond))
		return nil
	}
	for rep := range b.o.reps {
		if err := rotate(rep, func() error { return s2sdRun(rep, true) }, func() error { return sshdRun(rep, true) }); err != nil {
			return err
		}
	}
	b.rep.bulk(b.o.bulkSize, up, down, route, smallUp, smallDown)
	if !b.o.perf {
		return nil
	}
	// One more of each, untimed, under perf.
	p, err := startPerf(ctx, filepath.Join(b.tmp, "perf-bulk.data"))
	if err != nil {
		b.progress("bulk: no CPU profile: %v", err)
		b.rep.note("No CPU profile of the bulk case: %v.", err)
		return nil
	}
	watch := watchPIDs(b.s2.srv.pid(), b.sshd.srv.pid())
	cpu0, _ := cpuTime(b.s2.srv.pid())
	err = s2sdRun(b.o.reps, false)
	cpu1, _ := cpuTime(b.s2.srv.pid())
	if err == nil {
		err = sshdRun(b.o.reps, false)
	}
	pids := watch.list()
	if perr := p.stop(); err == nil {
		err = perr
	}
	if err != nil {
		return err
	}
	prof, err := p.analyse(ctx, pids)
	if err != nil {
		return err
	}
	prof.s2sdCPU = cpu1 - cpu0
	b.rep.profile(b.o.bulkSize, prof)
	return nil
}

// zips uploads a batch of LA generic zips of about 10 MiB in one session
// (mput) to each server in turn: s2sd until the last is routed.
func (b *bench) zips(ctx context.Context) error {
	dir := filepath.Join(b.tmp, "zips")
	b.progress("zips: writing %d zips of %.1f MiB", b.o.zips, float64(b.o.zipSize)/mib)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	from, err := b.s2.user(ctx, bulkFrom)
	if err != nil {
		return err
	}
	if err := b.s2.mailbox(ctx, bulkTo); err != nil {
		return err
	}
	var acked, routed timings
	for rep := range b.o.reps {
		// Names must differ from one repetition to the next: each is
		// still waiting at the destination.
		names := make([]string, b.o.zips)
		for i := range names {
			names[i] = fmt.Sprintf("%s_%s_Z%d-%03d.ZIP", bulkFrom, bulkTo, rep, i)
			if err := writeZip(filepath.Join(dir, names[i]), b.o.zipSize, uint64(100+i)); err != nil {
				return err
			}
		}
		m, err := b.s2.scrape(ctx)
		if err != nil {
			return err
		}
		base := m[routedMetric]
		s2sdRun := func() error {
			start := time.Now()
			d, err := b.client.run(ctx, login{b.s2.port(), from}, dir, "cd /outbox", "mput *.ZIP")
			if err != nil {
				return err
			}
			at, err := b.s2.waitRouted(ctx, base+float64(len(names)), 10*time.Minute)
			if err != nil {
				return err
			}
			acked.s2sd, routed.s2sd = append(acked.s2sd, d), append(routed.s2sd, at.Sub(start))
			b.progress("zips: s2sd acked %v, routed %v", d.Round(time.Millisecond), at.Sub(start).Round(time.Millisecond))
			return nil
		}
		sshdRun := func() error {
			remote := filepath.Join(b.sshd.files, fmt.Sprintf("zips%d", rep))
			if err := os.MkdirAll(remote, 0o755); err != nil {
				return err
			}
			defer os.RemoveAll(remote)
			d, err := b.client.run(ctx, login{b.sshd.port, b.sshd.user}, dir, "cd "+remote, "mput *.ZIP")
			if err != nil {
				return err
			}
			acked.sshd = append(acked.sshd, d)
			b.progress("zips: sshd written %v", d.Round(time.Millisecond))
			return nil
		}
		if err := rotate(rep, s2sdRun, sshdRun); err != nil {
			return err
		}
		for _, n := range names {
			os.Remove(filepath.Join(dir, n))
		}
	}
	b.rep.zips(b.o.zips, b.o.zipSize, acked, routed)
	return nil
}

func mibps(size int64, d time.Duration) float64 { return float64(size) / mib / d.Seconds() }
