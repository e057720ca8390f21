package sftpd

import (
	"context"
	"net"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/spool"
)

// handleConn runs one SSH connection: handshake under a deadline, then
// its channels. Only "session" channels with the "sftp" subsystem are
// served; everything else is refused.
func (s *Server) handleConn(c net.Conn) {
	host := remoteHost(c.RemoteAddr())
	c.SetDeadline(s.now().Add(s.cfg.HandshakeTimeout))
	sc, chans, reqs, err := ssh.NewServerConn(c, s.ssh)
	if err != nil {
		s.log.Debug().Err(err).Str(logRemote, host).Msg("handshake failed")
		return
	}
	defer sc.Close()
	c.SetDeadline(time.Time{})

	who, v, err := s.identify(sc, host)
	if err != nil {
		s.log.Warn().Err(err).Str(logRemote, host).Msg("login refused after authentication")
		return
	}
	log := s.log.With().Str(logUser, who.Login).Str(logMailbox, who.Mailbox).Str(logRemote, host).Logger()
	start := s.now()
	log.Info().Msg("logged in")
	s.metrics.LoginResult(LoginOK)
	s.metrics.SessionOpened()
	defer s.metrics.SessionClosed()

	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for r := range reqs { // global requests: no forwarding
			if r.WantReply {
				r.Reply(false, nil)
			}
		}
	}()
	for nc := range chans {
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.Prohibited, "s2sd serves only SFTP: port forwarding and other channels are not allowed")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		sess := &session{srv: s, ctx: s.ctx, conn: c, who: who, view: v, log: log}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveChannel(sess, ch, creqs)
		}()
	}
	log.Info().Dur("duration", s.now().Sub(start)).Msg("disconnected")
}

// identify turns the verified login into an identity and its view, and
// records the login.
func (s *Server) identify(sc *ssh.ServerConn, host string) (Identity, view, error) {
	login := sc.Permissions.Extensions[extLogin]
	u, err := s.ledger.User(context.Background(), login)
	if err != nil {
		return Identity{}, view{}, err
	}
	who := Identity{Login: u.Login, Mailbox: u.Mailbox, Role: u.Role, Remote: host}
	v := view{box: u.Mailbox}
	for _, f := range foldersFor(u.Role) {
		switch {
		case f.msgs:
			f.docs = s.messages
		case f.admin:
			f.docs = s.admin
		}
		if f.report && s.reports == nil || f.lost && s.lost == nil || f.withdr && s.withdrawals == nil ||
			(f.msgs || f.admin) && f.docs == nil {
			continue // not served by this server
		}
		v.folders = append(v.folders, f)
	}
	if v.box == "" {
		v.box = spool.AdminBox
	}
	if err := s.spool.Ensure(v.box); err != nil {
		return Identity{}, view{}, err
	}
	s.addrGuard.Succeeded(host)
	if err := s.ledger.LoginSucceeded(context.Background(), u.Login, s.now()); err != nil {
		s.log.Error().Err(err).Msg("recording login failed")
	}
	detail := "password"
	if fp := sc.Permissions.Extensions["pubkey-fp"]; fp != "" {
		detail = "publickey " + fp
	}
	s.ledger.Audit(context.Background(), ledger.Event{At: s.now(), Event: ledger.EventLogin,
		Login: u.Login, Mailbox: u.Mailbox, Remote: host, Detail: detail})
	return who, v, nil
}

// serveChannel answers a session channel's requests: the sftp subsystem
// starts the request server; shell, exec, pty, agent forwarding, X11 and
// PuTTY's winadj are answered with failure.
func (s *Server) serveChannel(sess *session, ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer ch.Close()
	started := false
	done := make(chan struct{})
	for {
		select {
		case r, ok := <-reqs:
			if !ok {
				if started {
					<-done
				}
				return
			}
			if r.Type == "subsystem" && !started && isSFTP(r.Payload) {
				r.Reply(true, nil)
				started = true
				go func() {
					defer close(done)
					if err := sess.serve(ch); err != nil {
						sess.log.Debug().Err(err).Msg("sftp session ended")
					}
					ch.Close()
				}()
				continue
			}
			if r.Type == "exec" || r.Type == "shell" {
				ch.Stderr().Write([]byte("s2sd serves only SFTP: shell and command execution are not available.\r\n"))
			}
			if r.WantReply {
				r.Reply(false, nil)
			}
		case <-done:
			// drain the remaining requests until the channel closes
			for r := range reqs {
				if r.WantReply {
					r.Reply(false, nil)
				}
			}
			return
		}
	}
}

// isSFTP reports whether a subsystem request payload names "sftp".
func isSFTP(payload []byte) bool {
	var p struct{ Name string }
	return ssh.Unmarshal(payload, &p) == nil && p.Name == "sftp"
}
