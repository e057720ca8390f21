package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// bench holds what every workload shares: the two servers, the client key
// and the report.
type bench struct {
	o      options
	tmp    string
	bin    string // s2sd binary
	key    keyPair
	client *openSSHClient
	s2     *s2sdServer
	s2b    *s2sdServer // the -compare binary; nil without it
	sshd   *sshdServer
	rep    *report
	log    io.Writer
}

// Run runs the bench with command-line args and prints the report.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "s2sd-bench-")
	if err != nil {
		return err
	}
	defer func() {
		if o.keep {
			fmt.Fprintf(stderr, "kept %s\n", tmp)
			return
		}
		if rerr := os.RemoveAll(tmp); rerr != nil && err == nil {
			err = fmt.Errorf("remove %s: %w", tmp, rerr)
		}
	}()
	b := &bench{o: o, tmp: tmp, bin: o.s2sd, log: stderr}
	fmt.Fprintf(stderr, "s2sd-bench: %s\nworking in %s\n", o.describe(), tmp)
	if b.bin == "" {
		b.bin = filepath.Join(tmp, "bin", "s2sd")
		b.progress("building ./cmd/s2sd")
		if err := buildS2SD(ctx, b.bin); err != nil {
			return err
		}
	}
	if b.key, err = newKeyPair(filepath.Join(tmp, "client_ed25519"), "s2sd-bench client"); err != nil {
		return err
	}
	b.client = &openSSHClient{key: b.key.Private, dir: tmp}
	b.rep, err = newReport(ctx, o)
	if err != nil {
		return err
	}
	if d, err := createCost(filepath.Join(tmp, "create-probe"), 500); err == nil {
		b.rep.machine = append(b.rep.machine, fmt.Sprintf("creating an empty file in %s: %v each (500 files); the phase transfer's servers create theirs there", tmp, d.Round(time.Microsecond)))
	}
	if b.sshd, err = startSSHD(ctx, filepath.Join(tmp, "sshd"), b.key); err != nil {
		return err
	}
	defer b.sshd.stop()
	if b.s2, err = startS2SD(ctx, "s2sd", b.bin, filepath.Join(tmp, "s2sd"), b.key, o.bulkSize+mib); err != nil {
		return err
	}
	defer func() { b.s2.stop() }()
	if o.compare != "" {
		if b.s2b, err = startS2SD(ctx, "s2sd B", o.compare, filepath.Join(tmp, "s2sd-b"), b.key, o.bulkSize+mib); err != nil {
			return err
		}
		defer func() { b.s2b.stop() }()
	}

	for _, w := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"bulk", b.bulk},
		{"zips", b.zips},
		{"phase", b.phase},
		{"idle", b.idle},
		{"uploaders", b.uploaders},
		{"gobench", b.goBenchmarks},
	} {
		if !o.runs(w.name) {
			continue
		}
		start := time.Now()
		if err := w.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", w.name, err)
		}
		b.progress("%s done in %v", w.name, time.Since(start).Round(time.Second))
		if err := b.s2.srv.exited(); err != nil {
			return fmt.Errorf("after %s: %w", w.name, err)
		}
	}
	text := b.rep.markdown(ctx)
	fmt.Fprint(stdout, text)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (b *bench) progress(format string, args ...any) {
	fmt.Fprintf(b.log, time.Now().Format("15:04:05 ")+format+"\n", args...)
}

// rotate runs one repetition of a measurement on each server, the first
// server first in repetition 0, the second in repetition 1 and so on (with
// s2sd and OpenSSH, each first in every other repetition), after flushing
// dirty pages so that none pays for another's writeback.
func rotate(rep int, runs ...func() error) error {
	for i := range runs {
		syscall.Sync()
		if err := runs[(rep+i)%len(runs)](); err != nil {
			return err
		}
	}
	return nil
}

// flushDirty flushes dirty pages between the upload and the download,
// so that the download does not pay for the upload's writeback.
func flushDirty() { syscall.Sync() }

// createCost times creating n empty files in dir, which it leaves there.
// On ext4 without a journal, each creation reads past every inode in its
// group freed in the last minute or so, which can make it cost ten times
// as much in one directory as in another; the bench removes no file
// before it ends so that its own runs do not pay for each other's.
func createCost(dir string, n int) (time.Duration, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := range n {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprint(i)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return 0, err
		}
		f.Close()
	}
	return time.Since(start) / time.Duration(n), nil
}
