package main

import (
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
)

// options are the sizes of the workloads and what to run.
type options struct {
	quick bool
	s2sd  string // s2sd binary; empty builds it
	// compare is a second s2sd binary the phase transfer measures too,
	// alternating with the first, so that a change's before and after
	// meet the same machine; empty for none.
	compare string
	keep    bool   // keep the temporary directory
	out     string // also write the report here
	only    string // comma-separated workloads to run; empty runs all
	perf    bool   // profile the bulk case with perf

	reps      int   // alternating repetitions of each timed run
	bulkSize  int64 // bytes of the bulk file
	zips      int   // LA generic zips in the batch
	zipSize   int64 // bytes of each zip (kept under the 10 MiB default limit)
	ctfs      int   // CTFs in the phase transfer
	parallel  int   // sessions in the parallel phase transfer
	idle      int   // concurrent idle sessions
	uploaders int   // concurrent uploaders
	perUpload int   // files each uploader sends
	goBench   bool  // run the ledger and reports Go benchmarks
}

const mib = 1 << 20

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("s2sd-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.BoolVar(&o.quick, "quick", false, "smaller sizes, under 5 minutes: 256 MiB bulk, 20 zips, 1,000 CTFs, 200 idle sessions, 50 uploaders, no Go benchmarks")
	fs.StringVar(&o.s2sd, "s2sd", "", "s2sd binary to measure (default: build ./cmd/s2sd)")
	fs.StringVar(&o.compare, "compare", "", "a second s2sd binary: the phase transfer measures it too, in turn with the first and OpenSSH, and reports it beside them")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (servers' data, logs, perf data)")
	fs.StringVar(&o.out, "out", "", "also write the markdown report to this file")
	fs.StringVar(&o.only, "only", "", "run only these workloads, comma-separated: bulk, zips, phase, idle, uploaders, gobench")
	perf := fs.Bool("perf", false, "profile one more bulk upload and download with perf (default in the full mode)")
	reps := fs.Int("reps", 0, "alternating repetitions of each timed run (default 3)")
	ctfs := fs.Int("ctfs", 0, "CTFs in the phase transfer (default 10,000; quick 1,000)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q: s2sd-bench takes only flags", fs.Arg(0))
	}
	o.reps, o.parallel, o.perUpload = 3, 4, 5
	if o.quick {
		o.bulkSize, o.zips, o.ctfs, o.idle, o.uploaders, o.perUpload = 256*mib, 20, 1000, 200, 50, 2
	} else {
		o.bulkSize, o.zips, o.ctfs, o.idle, o.uploaders, o.goBench = 1024*mib, 100, 10000, 1000, 200, true
	}
	o.zipSize = 10*mib - 4096
	o.perf = !o.quick || *perf
	if *reps > 0 {
		o.reps = *reps
	}
	if *ctfs > 0 {
		o.ctfs = *ctfs
	}
	if o.ctfs%o.parallel != 0 || o.ctfs > 10000 {
		return o, fmt.Errorf("-ctfs %d: give a multiple of %d, at most 10,000 (ten destinations of 1,000 sequence numbers)", o.ctfs, o.parallel)
	}
	for _, w := range o.workloads() {
		if !knownWorkload(w) {
			return o, fmt.Errorf("-only: unknown workload %q: use bulk, zips, phase, idle, uploaders or gobench", w)
		}
	}
	return o, nil
}

func (o options) workloads() []string {
	if o.only == "" {
		return nil
	}
	return strings.Split(o.only, ",")
}

func knownWorkload(w string) bool {
	switch w {
	case "bulk", "zips", "phase", "idle", "uploaders", "gobench":
		return true
	}
	return false
}

// runs reports whether workload w is to run.
func (o options) runs(w string) bool {
	if w == "gobench" && o.only == "" {
		return o.goBench
	}
	if o.only == "" {
		return true
	}
	for _, x := range o.workloads() {
		if x == w {
			return true
		}
	}
	return false
}

func (o options) mode() string {
	if o.quick {
		return "quick"
	}
	return "full"
}

func (o options) describe() string {
	return fmt.Sprintf("mode %s: %d alternating repetitions; bulk %d MiB; %d zips of %.1f MiB; %d CTFs (%d sessions in parallel); %d idle sessions; %d uploaders × %d files; Go benchmarks %v; GOMAXPROCS %d",
		o.mode(), o.reps, o.bulkSize/mib, o.zips, float64(o.zipSize)/mib, o.ctfs, o.parallel, o.idle, o.uploaders, o.perUpload, o.runs("gobench"), runtime.GOMAXPROCS(0))
}
