package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// goSession is one SFTP session opened by the bench itself, with
// x/crypto/ssh and pkg/sftp: a thousand sftp processes would measure the
// machine, not the server.
type goSession struct {
	conn *ssh.Client
	sftp *sftp.Client
}

func dialSFTP(addr, user string, key keyPair) (*goSession, error) {
	cfg := &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(key.Signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // a private server on loopback
		Config:          ssh.Config{Ciphers: []string{cipher}},
		Timeout:         time.Minute,
	}
	c, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		return nil, fmt.Errorf("ssh %s@%s: %w", user, addr, err)
	}
	s, err := sftp.NewClient(c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("sftp %s@%s: %w", user, addr, err)
	}
	return &goSession{conn: c, sftp: s}, nil
}

func (s *goSession) close() {
	s.sftp.Close()
	s.conn.Close()
}

// dialMany opens n sessions, at most 16 handshakes at a time.
func dialMany(ctx context.Context, n int, dial func(i int) (*goSession, error)) ([]*goSession, error) {
	ss := make([]*goSession, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range n {
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			break
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ss[i], errs[i] = dial(i)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		closeAll(ss)
		return nil, err
	}
	return ss, nil
}

func closeAll(ss []*goSession) {
	for _, s := range ss {
		if s != nil {
			s.close()
		}
	}
}

// idleResult is the memory held for the idle sessions.
type idleResult struct {
	n                  int
	base, rss, peak    int64 // s2sd: RSS before, RSS with the sessions open, VmHWM
	sessionsGauge      float64
	sshdBase, sshdPSS  int64 // OpenSSH: PSS of every sshd process, before and with
	sshdProcs          int
	s2sdOpen, sshdOpen time.Duration
}

// idle opens N authenticated SFTP sessions that do nothing, to a fresh
// s2sd (so that its peak RSS is theirs, not the bulk case's) and to
// sshd, and reads the memory each holds.
func (b *bench) idle(ctx context.Context) error {
	s2, err := startS2SD(ctx, "s2sd", b.bin, filepath.Join(b.tmp, "s2sd-idle"), b.key, 10*mib)
	if err != nil {
		return err
	}
	defer s2.stop()
	user, err := s2.user(ctx, "8234001")
	if err != nil {
		return err
	}
	time.Sleep(time.Second)
	r := idleResult{n: b.o.idle}
	m, err := readMemory(s2.srv.pid())
	if err != nil {
		return err
	}
	r.base = m.RSS
	start := time.Now()
	ss, err := dialMany(ctx, b.o.idle, func(int) (*goSession, error) { return dialSFTP(s2.addr, user, b.key) })
	if err != nil {
		return fmt.Errorf("s2sd: %w", err)
	}
	r.s2sdOpen = time.Since(start)
	time.Sleep(2 * time.Second)
	if m, err = readMemory(s2.srv.pid()); err != nil {
		closeAll(ss)
		return err
	}
	r.rss, r.peak = m.RSS, m.HWM
	if mm, err := s2.scrape(ctx); err == nil {
		r.sessionsGauge = mm["s2sd_sftp_sessions"]
	}
	closeAll(ss)
	b.progress("idle: s2sd %d sessions in %v: RSS %d MiB (from %d), peak %d MiB", r.n, r.s2sdOpen.Round(time.Millisecond), r.rss/mib, r.base/mib, r.peak/mib)

	if r.sshdBase, _, err = treePSS(b.sshd.srv.pid()); err != nil {
		return err
	}
	start = time.Now()
	ss, err = dialMany(ctx, b.o.idle, func(int) (*goSession, error) { return dialSFTP(b.sshd.addr, b.sshd.user, b.key) })
	if err != nil {
		return fmt.Errorf("sshd: %w", err)
	}
	r.sshdOpen = time.Since(start)
	time.Sleep(2 * time.Second)
	r.sshdPSS, r.sshdProcs, err = treePSS(b.sshd.srv.pid())
	closeAll(ss)
	if err != nil {
		return err
	}
	b.progress("idle: sshd %d sessions in %v: PSS %d MiB in %d processes", r.n, r.sshdOpen.Round(time.Millisecond), r.sshdPSS/mib, r.sshdProcs)
	b.rep.idle(r)
	return nil
}

// uploadResult is the outcome of the concurrent uploaders.
type uploadResult struct {
	uploaders, files, errors, routed int
	firstErr                         error
	acked, routedIn                  time.Duration
	peak                             int64
}

// uploaders connects N sessions to a fresh s2sd, then lets them all
// upload CTFs at once, and checks that every file arrives in its inbox.
func (b *bench) uploaders(ctx context.Context) error {
	s2, err := startS2SD(ctx, "s2sd", b.bin, filepath.Join(b.tmp, "s2sd-uploaders"), b.key, 10*mib)
	if err != nil {
		return err
	}
	defer s2.stop()
	const nsrc, ndst = 20, 10
	var logins, dests []string
	for i := range nsrc {
		l, err := s2.user(ctx, fmt.Sprintf("823%04d", 5001+i))
		if err != nil {
			return err
		}
		logins = append(logins, l)
	}
	for i := range ndst {
		d := fmt.Sprintf("823%04d", 6001+i)
		if err := s2.mailbox(ctx, d); err != nil {
			return err
		}
		dests = append(dests, d)
	}
	if err := s2.mailbox(ctx, bulkFrom); err != nil {
		return err
	}
	// Uploader u sends as school u%nsrc to destination (u/nsrc)%ndst,
	// sequence numbers k + per*(u/(nsrc*ndst)): every name distinct.
	n, per := b.o.uploaders, b.o.perUpload
	files := make([][]ctf, n)
	for u := range n {
		src := logins[u%nsrc][1:]
		for k := range per {
			files[u] = append(files[u], ctf{src: src, dst: dests[(u/nsrc)%ndst], seq: k + per*(u/(nsrc*ndst))})
		}
	}
	ss, err := dialMany(ctx, n, func(u int) (*goSession, error) { return dialSFTP(s2.addr, logins[u%nsrc], b.key) })
	if err != nil {
		return err
	}
	defer closeAll(ss)
	r := uploadResult{uploaders: n, files: n * per}
	var mu sync.Mutex
	var wg sync.WaitGroup
	release := make(chan struct{})
	for u := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-release
			for i, c := range files[u] {
				err := upload(ss[u].sftp, c, u*per+i)
				if err != nil {
					mu.Lock()
					r.errors++
					if r.firstErr == nil {
						r.firstErr = fmt.Errorf("%s: %w", c.name(), err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	start := time.Now()
	close(release)
	wg.Wait()
	r.acked = time.Since(start)
	at, err := s2.waitRouted(ctx, float64(r.files-r.errors), 10*time.Minute)
	if err != nil {
		return err
	}
	r.routedIn = at.Sub(start)
	for _, fs := range files {
		for _, c := range fs {
			if _, err := os.Stat(filepath.Join(s2.inbox(c.dst), c.name())); err == nil {
				r.routed++
			}
		}
	}
	if m, err := readMemory(s2.srv.pid()); err == nil {
		r.peak = m.HWM
	}
	b.progress("uploaders: %d × %d files: %d errors, %d routed, acked in %v, routed in %v", n, per, r.errors, r.routed, r.acked.Round(time.Millisecond), r.routedIn.Round(time.Millisecond))
	b.rep.uploaders(r)
	return nil
}

// upload sends one CTF into /outbox and closes it: OK means acknowledged.
func upload(c *sftp.Client, x ctf, serial int) error {
	body := ctfBody(x, serial)
	f, err := c.Create("/outbox/" + x.name())
	if err != nil {
		return err
	}
	if _, err := f.Write(body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
