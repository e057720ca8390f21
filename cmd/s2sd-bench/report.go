package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report gathers the results as markdown: one summary table of medians,
// ratios and goals, then a section per workload.
type report struct {
	o        options
	started  time.Time
	machine  []string
	summary  [][]string // workload, s2sd, OpenSSH, ratio, goal, met
	sections []string
	notes    []string
}

func newReport(ctx context.Context, o options) (*report, error) {
	r := &report{o: o, started: time.Now()}
	cpu := "unknown"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
	}
	kernel, _ := exec.CommandContext(ctx, "uname", "-r").Output()
	sshv, _ := exec.CommandContext(ctx, "ssh", "-V").CombinedOutput()
	r.machine = []string{
		fmt.Sprintf("%d vCPU, %s, %s memory", runtime.NumCPU(), cpu, memTotal()),
		"Linux " + strings.TrimSpace(string(kernel)) + ", " + runtime.Version(),
		strings.TrimSpace(string(sshv)),
		"load average at start: " + loadAvg(),
	}
	return r, nil
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			if n, err := kib(v); err == nil {
				return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
			}
		}
	}
	return "unknown"
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

func (r *report) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func (r *report) row(cells ...string) { r.summary = append(r.summary, cells) }

func (r *report) section(title string, lines ...string) {
	r.sections = append(r.sections, "### "+title+"\n\n"+strings.Join(lines, "\n")+"\n")
}

// ratio formats a ratio with whether it meets a goal of at least goal.
func ratio(x, goal float64) (string, string) {
	met := "yes"
	if x < goal {
		met = fmt.Sprintf("**no** (%.0f%% short)", (goal-x)/goal*100)
	}
	return fmt.Sprintf("%.2f", x), met
}

func ms(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}

func all(ds []time.Duration) string {
	var s []string
	for _, d := range ds {
		s = append(s, ms(d))
	}
	return strings.Join(s, ", ")
}

// perFile is a table row of counts, one per run, with their median and
// the median per file.
func perFile(label string, counts []int64, files int) string {
	var s []string
	for _, n := range counts {
		s = append(s, fmt.Sprint(n))
	}
	m := median(counts)
	return fmt.Sprintf("| %s | %s | %d | %.1f |", label, strings.Join(s, ", "), m, float64(m)/float64(files))
}

func (r *report) bulk(size int64, up, down timings, route, smallUp, smallDown []time.Duration) {
	for _, x := range []struct {
		dir string
		t   timings
	}{{"upload", up}, {"download", down}} {
		s, o := median(x.t.s2sd), median(x.t.sshd)
		v, met := ratio(o.Seconds()/s.Seconds(), 1.0)
		r.row(fmt.Sprintf("bulk %s, %d MiB, aes128-gcm", x.dir, size/mib),
			fmt.Sprintf("%.0f MiB/s", mibps(size, s)), fmt.Sprintf("%.0f MiB/s", mibps(size, o)), v, "≥ 1.0", met)
	}
	r.section(fmt.Sprintf("Bulk: one %d MiB LA generic zip, up and down", size/mib),
		"OpenSSH `sftp` (one `put`, then one `get` to /dev/null), `-o Ciphers=aes128-gcm@openssh.com`, timed from",
		"starting `sftp` to its exit, connection included. s2sd's upload ends when CLOSE returns OK, the file",
		"fsynced with its directory; its download reads the routed file from the destination LA's `/inbox/`.",
		"",
		"| | s2sd | OpenSSH |",
		"|---|---|---|",
		fmt.Sprintf("| upload, each run | %s | %s |", all(up.s2sd), all(up.sshd)),
		fmt.Sprintf("| download, each run | %s | %s |", all(down.s2sd), all(down.sshd)),
		fmt.Sprintf("| routing after the upload's OK (hash, zip check, move) | %s | |", all(route)),
		fmt.Sprintf("| OpenSSH with `sftp -B 32768`: upload, each run | | %s |", all(smallUp)),
		fmt.Sprintf("| OpenSSH with `sftp -B 32768`: download, each run | | %s |", all(smallDown)),
		"",
		fmt.Sprintf("Medians: s2sd up %.0f, down %.0f MiB/s; OpenSSH up %.0f, down %.0f MiB/s; OpenSSH with 32 KiB requests up %.0f, down %.0f MiB/s.",
			mibps(size, median(up.s2sd)), mibps(size, median(down.s2sd)), mibps(size, median(up.sshd)), mibps(size, median(down.sshd)),
			mibps(size, median(smallUp)), mibps(size, median(smallDown))),
		"OpenSSH's `sftp` asks the server for its limits (`limits@openssh.com`) and then moves 255 KiB a",
		"request; s2sd and sftp-server both answer it. s2sd announces four open handles, so the client keeps",
		"four requests outstanding instead of 64. The `-B 32768` rows hold sshd to the client's",
		"default 32 KiB, to show what the request size is worth.",
	)
}

func (r *report) zips(n int, size int64, acked, routed timings) {
	s, sr, o := median(acked.s2sd), median(routed.s2sd), median(acked.sshd)
	total := int64(n) * size
	v, met := ratio(o.Seconds()/sr.Seconds(), 1.0)
	r.row(fmt.Sprintf("%d LA zips of 10 MiB, one session, until routed", n),
		fmt.Sprintf("%s (%.0f MiB/s)", ms(sr), mibps(total, sr)), fmt.Sprintf("%s (%.0f MiB/s)", ms(o), mibps(total, o)), v, "(≥ 1.0, as bulk)", met)
	r.section(fmt.Sprintf("%d LA generic zips of %.1f MiB in one session", n, float64(size)/mib),
		"`mput *.ZIP` into `/outbox/` (s2sd) or a folder (OpenSSH). s2sd is timed until its `routed_files_total`",
		"counts every file; \"acked\" is until `sftp` exits.",
		"",
		"| | each run | median |",
		"|---|---|---|",
		fmt.Sprintf("| s2sd, acked | %s | %s |", all(acked.s2sd), ms(s)),
		fmt.Sprintf("| s2sd, routed | %s | %s |", all(routed.s2sd), ms(sr)),
		fmt.Sprintf("| OpenSSH, written | %s | %s |", all(acked.sshd), ms(o)),
	)
}

func (r *report) phase(n int, modes []*phaseMode) {
	for _, m := range modes {
		sr, sa, o, fl := median(m.s2sdRouted), median(m.s2sdAcked), median(m.sshd), median(m.floor)
		per := func(d time.Duration) time.Duration { return d / time.Duration(n) }
		label := fmt.Sprintf("%d CTFs, %d session(s)", n, m.sessions)
		if m.sessions == 1 {
			extra := per(sr - o)
			x := extra.Seconds() / per(fl).Seconds()
			met := "yes"
			if x > 1.2 {
				met = fmt.Sprintf("**no** (%.1f × the floor)", x)
			}
			r.row(label+", until routed", ms(sr), ms(o), fmt.Sprintf("%.2f", o.Seconds()/sr.Seconds()), "", "")
			r.row(label+": s2sd's extra time per file over OpenSSH", ms(extra),
				"fsync floor "+ms(per(fl)), fmt.Sprintf("%.2f × floor", x), "≤ 1.2 × floor", met)
		} else {
			v, met := ratio(o.Seconds()/sr.Seconds(), 0.8)
			r.row(label+", until routed", ms(sr), ms(o), v, "≥ 0.8", met)
		}
		r.row(label+": routing latency p50 / p99", ms(median(m.histP50))+" / "+ms(median(m.histP99)), "", "", "", "")
		var cmpLines []string
		if c := m.cmp; c != nil {
			cr, ca, cc := median(c.s2sdRouted), median(c.s2sdAcked), median(c.s2sdCPU)
			r.row(label+", until routed, s2sd B (-compare)", ms(cr), ms(o), fmt.Sprintf("%.2f", o.Seconds()/cr.Seconds()), "", "")
			if m.sessions == 1 {
				r.row(label+": s2sd B's extra time per file over OpenSSH", ms(per(cr-o)), "fsync floor "+ms(per(fl)),
					fmt.Sprintf("%.2f × floor", per(cr-o).Seconds()/per(fl).Seconds()), "", "")
			}
			r.row(label+": s2sd B's time and CPU over s2sd's", fmt.Sprintf("%.2f; CPU %.2f", cr.Seconds()/sr.Seconds(), cc.Seconds()/median(m.s2sdCPU).Seconds()), "", "", "", "")
			cmpLines = []string{
				fmt.Sprintf("| s2sd B, acked | %s | %s | %s |", all(c.s2sdAcked), ms(ca), ms(per(ca))),
				fmt.Sprintf("| s2sd B, routed | %s | %s | %s |", all(c.s2sdRouted), ms(cr), ms(per(cr))),
				fmt.Sprintf("| s2sd B, CPU time until routed | %s | %s | %s |", all(c.s2sdCPU), ms(cc), ms(per(cc))),
				perFile("s2sd B, its context switches until routed", c.s2sdSwitches, n),
			}
			cmpLines = append(cmpLines, durableRows("s2sd B", c.s2sdDurable)...)
			cmpLines = append(cmpLines, fmt.Sprintf("| routing latency p50 / p99, s2sd B histogram | %s / %s | | |", ms(median(c.histP50)), ms(median(c.histP99))))
		}
		lines := []string{
			"OpenSSH `sftp -b` with `mput *.XML`, one session per sending school. s2sd: \"acked\" is until the",
			"last `sftp` exits (every CLOSE answered, so every file fsynced in the outbox), \"routed\" until",
			"`s2sd_routed_files_total` counts them all. OpenSSH: until the last `sftp` exits; `sftp-server`",
			"does not fsync. The fsync floor writes the same sizes with the same number of writers,",
			"each file created, written, fsynced, closed and its directory fsynced.",
			"",
			"| | each run | median | per file |",
			"|---|---|---|---|",
			fmt.Sprintf("| s2sd, acked | %s | %s | %s |", all(m.s2sdAcked), ms(sa), ms(per(sa))),
			fmt.Sprintf("| s2sd, routed | %s | %s | %s |", all(m.s2sdRouted), ms(sr), ms(per(sr))),
			fmt.Sprintf("| s2sd, CPU time until routed | %s | %s | %s |", all(m.s2sdCPU), ms(median(m.s2sdCPU)), ms(per(median(m.s2sdCPU)))),
			perFile("s2sd, its context switches until routed", m.s2sdSwitches, n),
			perFile("s2sd, context switches on the whole machine until routed", m.s2sdMachine, n),
			fmt.Sprintf("| OpenSSH, written | %s | %s | %s |", all(m.sshd), ms(o), ms(per(o))),
			perFile("OpenSSH, context switches on the whole machine until written", m.sshdMachine, n),
			fmt.Sprintf("| fsync floor | %s | %s | %s |", all(m.floor), ms(fl), ms(per(fl))),
			fmt.Sprintf("| routing latency p50, s2sd histogram | %s | %s | |", all(m.histP50), ms(median(m.histP50))),
			fmt.Sprintf("| routing latency p99, s2sd histogram | %s | %s | |", all(m.histP99), ms(median(m.histP99))),
			fmt.Sprintf("| last write to inbox p50, per file | %s | %s | |", all(m.fileP50), ms(median(m.fileP50))),
			fmt.Sprintf("| last write to inbox p99, per file | %s | %s | |", all(m.fileP99), ms(median(m.fileP99))),
			"",
			"Routing latency is s2sd's own `s2sd_routing_latency_seconds` histogram (from CLOSE OK until the",
			"file is in its inbox with its ledger rows committed), the difference over the run, quantiles",
			"interpolated within buckets as `histogram_quantile` does (bounds 5, 10, 25, 50, 100, 250 ms, 0.5,",
			"1, 2.5, 5, 10 s...). \"Last write to inbox\" is exact per file: the routed file's ctime (its",
			"rename into the inbox, and the LA copy's link) minus its mtime (its last WRITE, kept by the",
			"renames); it adds the acknowledgement's fsyncs to the routing latency.",
			"",
			"\"Making each file durable\" is s2sd's `s2sd_upload_durable_seconds` histogram, its sum over its",
			"count in each run: the part of each CLOSE that marks the file in staging, fsyncs it with",
			"staging and moves it into the outbox (above 1 MiB: fsyncs it, moves it and fsyncs the",
			"outbox), to set beside the fsync floor's whole file.",
		}
		at := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "| OpenSSH, written") })
		lines = slices.Insert(lines, at, slices.Concat(durableRows("s2sd", m.s2sdDurable), cmpLines)...)
		r.section(fmt.Sprintf("Phase transfer: %d CTFs of 1–50 KB, %d session(s)", n, m.sessions), lines...)
	}
}

func (r *report) syscalls(n int, t2, td traceResult) {
	s2, sd := t2.calls, td.calls
	names := map[string]bool{}
	for k := range s2 {
		names[k] = true
	}
	for k := range sd {
		names[k] = true
	}
	var keys []string
	for k := range names {
		if float64(s2[k])/float64(n) >= 0.5 || float64(sd[k])/float64(n) >= 0.5 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b string) int { return s2[b] - s2[a] })
	lines := []string{
		fmt.Sprintf("`strace -f -c -p PID` on each server while one session sends %d CTFs (untimed: strace", n),
		"slows every call). For s2sd this includes routing. Calls made at least once every two files:",
		"",
		"| system call | s2sd per file | OpenSSH per file |",
		"|---|---:|---:|",
	}
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("| %s | %.1f | %.1f |", k, float64(s2[k])/float64(n), float64(sd[k])/float64(n)))
	}
	sync := func(t traceResult) float64 {
		m := t.calls
		return float64(m["fsync"]+m["fdatasync"]+m["sync_file_range"]+t.aio) / float64(n)
	}
	r.row("fsync + fdatasync per CTF (strace; AIO's fsyncs included)", fmt.Sprintf("%.1f", sync(t2)), fmt.Sprintf("%.1f", sync(td)), "", "floor 2", "")
	lines = append(lines, "", "s2sd's fsync and fdatasync calls per CTF by what they synced (`strace -y`), AIO's included:", "",
		"| synced | per file |", "|---|---:|")
	var paths []string
	for p := range t2.fsyncs {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, func(a, b string) int { return t2.fsyncs[b] - t2.fsyncs[a] })
	for _, p := range paths {
		lines = append(lines, fmt.Sprintf("| `%s` | %.2f |", p, float64(t2.fsyncs[p])/float64(n)))
	}
	if sl := t2.sleeps; sl.calls > 0 {
		var lens []time.Duration
		for d := range sl.byLen {
			lens = append(lens, d)
		}
		slices.Sort(lens)
		var parts []string
		for _, d := range lens {
			parts = append(parts, fmt.Sprintf("%s × %d", ms(d), sl.byLen[d]))
		}
		lines = append(lines, "",
			fmt.Sprintf("s2sd called `clock_nanosleep` %.1f times per CTF, asking for %s of sleep per CTF in all", float64(sl.calls)/float64(n), ms(sl.total/time.Duration(n))),
			"(summed over threads; strace's slowness makes contention worse than untraced). Go's runtime",
			"sleeps with `nanosleep`, so these are glibc's `usleep` from cgo: SQLite's busy handler, which",
			"waits 1, 2, 5, 10, 15, 20, 25 ... 100 ms while another connection holds the write lock.",
			"Lengths asked for: "+strings.Join(parts, ", ")+".")
		r.row("SQLite busy-handler sleep per CTF (strace, summed over threads)", ms(sl.total/time.Duration(n)), "", "", "", "")
	}
	r.section("System calls per CTF", lines...)
}

func (r *report) idle(x idleResult) {
	met := "yes"
	if x.peak >= 300*mib {
		met = fmt.Sprintf("**no** (%d MiB)", x.peak/mib)
	}
	r.row(fmt.Sprintf("%d idle sessions: peak memory", x.n), fmt.Sprintf("%d MiB (VmHWM)", x.peak/mib),
		fmt.Sprintf("%d MiB (PSS, %d processes)", x.sshdPSS/mib, x.sshdProcs), "", "< 300 MiB", met)
	r.section(fmt.Sprintf("%d concurrent idle sessions", x.n),
		"Opened by the bench with x/crypto/ssh and pkg/sftp (key login, aes128-gcm, the sftp subsystem",
		"started), 16 handshakes at a time, held 2 s, then measured: s2sd freshly started for it, so",
		"that its peak RSS (VmHWM) is the sessions'; OpenSSH forks processes per session, so its figure",
		"is the PSS of all of its processes.",
		"",
		"| | s2sd | OpenSSH |",
		"|---|---|---|",
		fmt.Sprintf("| memory before | %d MiB RSS | %d MiB PSS |", x.base/mib, x.sshdBase/mib),
		fmt.Sprintf("| memory with the sessions | %d MiB RSS (peak %d MiB) | %d MiB PSS |", x.rss/mib, x.peak/mib, x.sshdPSS/mib),
		fmt.Sprintf("| per session | %.0f KiB | %.0f KiB |", float64(x.rss-x.base)/1024/float64(x.n), float64(x.sshdPSS-x.sshdBase)/1024/float64(x.n)),
		fmt.Sprintf("| time to open them all | %s | %s |", ms(x.s2sdOpen), ms(x.sshdOpen)),
		fmt.Sprintf("| `s2sd_sftp_sessions` | %.0f | |", x.sessionsGauge),
	)
}

func (r *report) uploaders(x uploadResult) {
	met := "yes"
	if x.errors > 0 || x.routed != x.files {
		met = fmt.Sprintf("**no** (%d errors, %d of %d routed)", x.errors, x.routed, x.files)
	}
	r.row(fmt.Sprintf("%d concurrent uploaders × %d CTFs", x.uploaders, x.files/x.uploaders),
		fmt.Sprintf("%d errors, %d/%d routed", x.errors, x.routed, x.files), "", "", "zero errors", met)
	lines := []string{
		fmt.Sprintf("%d sessions (x/crypto/ssh and pkg/sftp, 20 schools) connected first, then released at", x.uploaders),
		"once; each uploads its CTFs (1–50 KB) one after another into `/outbox/`, each CLOSE the",
		"acknowledgement. Every file is then looked for in its destination's inbox on disk.",
		"",
		"| | |",
		"|---|---|",
		fmt.Sprintf("| files | %d |", x.files),
		fmt.Sprintf("| errors | %d |", x.errors),
		fmt.Sprintf("| in their inbox | %d |", x.routed),
		fmt.Sprintf("| all acknowledged after | %s |", ms(x.acked)),
		fmt.Sprintf("| all routed after | %s |", ms(x.routedIn)),
		fmt.Sprintf("| s2sd peak RSS | %d MiB |", x.peak/mib),
	}
	if x.firstErr != nil {
		lines = append(lines, "", "First error: `"+x.firstErr.Error()+"`")
	}
	r.section("Concurrent uploaders", lines...)
}

func (r *report) goBench(g goBenchmark, lines []string, took time.Duration) {
	r.section(g.what,
		fmt.Sprintf("`go %s` (%s, data generation included):", strings.Join(g.args, " "), took.Round(time.Second)),
		"",
		"```",
		strings.Join(lines, "\n"),
		"```")
}

func (r *report) profile(size int64, p profile) {
	lines := []string{
		fmt.Sprintf("`perf record -a -g -e cpu-clock` during one more upload and download of the %d MiB zip to", size/mib),
		fmt.Sprintf("each server (untimed). s2sd used %s of CPU for its upload, routing and download.", ms(p.s2sdCPU)),
		"",
		"Share of all samples by command name, machine-wide (the machine is shared, so other work shows",
		"too; the tables after it are cut by process id to the bench's own processes):",
		"",
		"| command | share |",
		"|---|---:|",
	}
	for _, c := range p.byComm {
		if c.pct >= 1 {
			lines = append(lines, fmt.Sprintf("| %s | %.1f%% |", c.sym, c.pct))
		}
	}
	lines = append(lines, "", "Each command's own time by category (self time of each symbol, summed):", "",
		"| category | "+strings.Join(profiledComms, " | ")+" |",
		"|---|"+strings.Repeat("---:|", len(profiledComms)))
	splits := map[string]map[string]float64{}
	for _, c := range profiledComms {
		splits[c] = split(p.self[c])
	}
	for _, cat := range categoryOrder {
		row := "| " + cat + " |"
		for _, c := range profiledComms {
			row += fmt.Sprintf(" %.1f%% |", splits[c][cat])
		}
		lines = append(lines, row)
	}
	for _, c := range []string{"s2sd", "sshd"} {
		lines = append(lines, "", fmt.Sprintf("%s, top symbols by self time:", c), "", "| self | where | symbol | category |", "|---:|---|---|---|")
		for i, s := range p.self[c] {
			if i == 20 {
				break
			}
			lines = append(lines, fmt.Sprintf("| %.1f%% | %s | `%s` | %s |", s.pct, s.dso, s.sym, category(s)))
		}
	}
	lines = append(lines, "", "s2sd's samples by whom they work for: the first frame from the leaf up outside the Go",
		"runtime and standard library (an allocation, memmove or write(2) is charged to the package",
		"that made it), with cipher and hashing leaves on their own:", "", "| share | owner |", "|---:|---|")
	var owners []string
	for o := range p.owners {
		owners = append(owners, o)
	}
	slices.SortFunc(owners, func(a, b string) int {
		switch {
		case p.owners[a] > p.owners[b]:
			return -1
		case p.owners[a] < p.owners[b]:
			return 1
		}
		return strings.Compare(a, b)
	})
	for _, o := range owners {
		lines = append(lines, fmt.Sprintf("| %.1f%% | %s |", p.owners[o], o))
	}
	lines = append(lines, "", "s2sd, top functions by cumulative time (in them and their callees):", "", "| cumulative | function |", "|---:|---|")
	n := 0
	for _, s := range p.children["s2sd"] {
		if strings.HasPrefix(s.sym, "[k]") || s.sym == "runtime.goexit.abi0" || s.sym == "runtime.goexit" {
			continue
		}
		lines = append(lines, fmt.Sprintf("| %.1f%% | `%s` |", s.pct, s.sym))
		if n++; n == 25 {
			break
		}
	}
	r.section("Where the CPU goes in the bulk case", lines...)
}

// markdown renders the report.
func (r *report) markdown(ctx context.Context) string {
	var b strings.Builder
	cmd := "go run ./cmd/s2sd-bench"
	if r.o.quick {
		cmd += " -quick"
	}
	fmt.Fprintf(&b, "## s2sd-bench, %s mode, %s\n\n", r.o.mode(), r.started.Format("2006-01-02 15:04"))
	fmt.Fprintf(&b, "```\n%s\n```\n\n", cmd)
	for _, m := range r.machine {
		fmt.Fprintf(&b, "- %s\n", m)
	}
	fmt.Fprintf(&b, "- load average at end: %s; took %s\n", loadAvg(), time.Since(r.started).Round(time.Second))
	fmt.Fprintf(&b, "- %s\n\n", r.o.describe())
	fmt.Fprintf(&b, "Medians of %d runs, s2sd and OpenSSH alternating (s2sd first in odd runs, OpenSSH in even ones). Ratio is s2sd's throughput over OpenSSH's: above 1 s2sd is faster.\n\n", r.o.reps)
	b.WriteString("| workload | s2sd | OpenSSH | ratio | goal | met |\n|---|---|---|---|---|---|\n")
	for _, row := range r.summary {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	b.WriteString("\n")
	for _, s := range r.sections {
		b.WriteString(s + "\n")
	}
	for _, n := range r.notes {
		b.WriteString("- " + n + "\n")
	}
	return b.String()
}

// durableRows is the table row of who's mean time per acknowledgement in
// making the file durable, already a time per file; none for a binary
// without the histogram.
func durableRows(who string, d []time.Duration) []string {
	if len(d) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("| %s, making each file durable at CLOSE | %s | %s | |", who, all(d), ms(median(d)))}
}
