package sftpd

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/ledger"
)

// extLogin carries the authenticated login from an auth callback to the
// session. It is set only by the callback that verified the credential, so
// identity never comes from a key that was merely offered (CVE-2024-45337).
const extLogin = "s2sd-login"

var errDenied = errors.New("authentication failed")

// serverConfig builds the SSH server configuration: allow-listed
// algorithms, password, keyboard-interactive and public key auth.
func (s *Server) serverConfig(hostKeys []ssh.Signer) *ssh.ServerConfig {
	c := &ssh.ServerConfig{
		Config: ssh.Config{
			KeyExchanges: s.cfg.KeyExchanges,
			Ciphers:      s.cfg.Ciphers,
			MACs:         s.cfg.MACs,
		},
		PublicKeyAuthAlgorithms: []string{
			ssh.KeyAlgoED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384, ssh.KeyAlgoECDSA521,
			ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256,
		},
		MaxAuthTries:                s.cfg.MaxAuthTries,
		PasswordCallback:            s.passwordAuth,
		KeyboardInteractiveCallback: s.keyboardAuth,
		PublicKeyCallback:           s.publicKeyAuth,
		ServerVersion:               "SSH-2.0-s2sd",
		AuthLogCallback: func(conn ssh.ConnMetadata, method string, err error) {
			if method == "none" {
				return
			}
			ev := s.log.Debug()
			if err != nil && !errors.As(err, new(*ssh.PartialSuccessError)) {
				ev = s.log.Info()
			}
			ev.Str(logUser, conn.User()).Str(logRemote, remoteHost(conn.RemoteAddr())).
				Str("method", method).Bool("ok", err == nil).Msg("authentication attempt")
		},
	}
	for _, k := range hostKeys {
		c.AddHostKey(k)
	}
	return c
}

// lockedBanner is shown to a client refused because of a lockout. It is
// the same whether or not the login exists.
func lockedBanner(until time.Time) error {
	return &ssh.BannerError{Err: errDenied, Message: fmt.Sprintf(
		"Too many failed logins: this account or address is locked until %s UTC. Try again then, or ask your administrator to unlock the account.\r\n",
		until.UTC().Format("2006-01-02 15:04"))}
}

// checkLocked refuses a login while its address or account is locked.
func (s *Server) checkLocked(conn ssh.ConnMetadata, u *ledger.User) error {
	now := s.now()
	host := remoteHost(conn.RemoteAddr())
	if until := s.addrGuard.LockedUntil(host, now); !until.IsZero() {
		return lockedBanner(until)
	}
	if u == nil {
		if until := s.loginGuard.LockedUntil(conn.User(), now); !until.IsZero() {
			return lockedBanner(until)
		}
		return nil
	}
	if u.Locked(now) {
		return lockedBanner(u.LockedUntil)
	}
	return nil
}

// lookup finds the user for a login; nil if there is none.
func (s *Server) lookup(login string) (*ledger.User, error) {
	u, err := s.ledger.User(context.Background(), login)
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		s.log.Error().Err(err).Msg("user lookup failed")
		return nil, errDenied
	}
	return &u, nil
}

// failed records a failed password and returns the error for the client:
// a banner if this failure locked the account or address.
func (s *Server) failed(conn ssh.ConnMetadata, u *ledger.User) error {
	s.metrics.LoginResult(LoginFailed)
	now := s.now()
	host := remoteHost(conn.RemoteAddr())
	until := s.addrGuard.Failed(host, now)
	if u == nil {
		if t := s.loginGuard.Failed(conn.User(), now); t.After(until) {
			until = t
		}
	} else {
		t, err := s.ledger.LoginFailed(context.Background(), u.Login, now, s.cfg.Lockout)
		if err != nil {
			s.log.Error().Err(err).Msg("recording failed login")
		}
		if t.After(until) {
			until = t
		}
	}
	s.auditConn(conn, ledger.EventLoginFailed, "")
	if !until.IsZero() {
		s.auditConn(conn, ledger.EventLocked, fmt.Sprintf("until=%s", until.UTC().Format(time.RFC3339)))
		return lockedBanner(until)
	}
	return errDenied
}

// verifyPassword checks a password, with lockout, for conn's login.
func (s *Server) verifyPassword(conn ssh.ConnMetadata, password string) (*ledger.User, error) {
	u, err := s.lookup(conn.User())
	if err != nil {
		return nil, err
	}
	if err := s.checkLocked(conn, u); err != nil {
		s.metrics.LoginResult(LoginLocked)
		return nil, err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	ok, err := s.hasher.Verify(context.Background(), password, hash)
	if err != nil && !errors.Is(err, auth.ErrBadHash) {
		return nil, errDenied
	}
	if !ok {
		return nil, s.failed(conn, u)
	}
	return u, nil
}

func (s *Server) passwordAuth(conn ssh.ConnMetadata, password []byte) (*ssh.Permissions, error) {
	u, err := s.verifyPassword(conn, string(password))
	if err != nil {
		return nil, err
	}
	if u.MustChange {
		// The password is right but temporary: a new one must be chosen
		// through a keyboard-interactive prompt before anything else.
		return nil, &ssh.PartialSuccessError{Next: ssh.ServerAuthCallbacks{
			KeyboardInteractiveCallback: func(conn ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
				return s.changePassword(conn, u, ask)
			},
		}}
	}
	return s.succeeded(conn, u)
}

// keyboardAuth asks for the password at a prompt, then, if it is
// temporary, for a new one.
func (s *Server) keyboardAuth(conn ssh.ConnMetadata, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
	answers, err := ask("", "", []string{"Password: "}, []bool{false})
	if err != nil || len(answers) != 1 {
		return nil, errDenied
	}
	u, err := s.verifyPassword(conn, answers[0])
	if err != nil {
		return nil, err
	}
	if u.MustChange {
		return s.changePassword(conn, u, ask)
	}
	return s.succeeded(conn, u)
}

// changePassword prompts for a new password twice, up to three times.
func (s *Server) changePassword(conn ssh.ConnMetadata, u *ledger.User, ask ssh.KeyboardInteractiveChallenge) (*ssh.Permissions, error) {
	instruction := fmt.Sprintf("Your password is temporary and must be changed now. Choose a new password of at least %d characters.", s.cfg.MinPasswordLength)
	for range 3 {
		answers, err := ask("Password change", instruction, []string{"New password: ", "Repeat new password: "}, []bool{false, false})
		if err != nil || len(answers) != 2 {
			return nil, errDenied
		}
		switch {
		case answers[0] != answers[1]:
			instruction = "The two passwords did not match. Try again."
			continue
		case auth.ValidateNewPassword(answers[0], s.cfg.MinPasswordLength) != nil:
			instruction = auth.ValidateNewPassword(answers[0], s.cfg.MinPasswordLength).Error() + ". Try again."
			continue
		}
		if ok, _ := s.hasher.Verify(context.Background(), answers[0], u.PasswordHash); ok {
			instruction = "The new password must differ from the temporary one. Try again."
			continue
		}
		hash, err := s.hasher.Hash(context.Background(), answers[0])
		if err != nil {
			return nil, errDenied
		}
		if err := s.ledger.SetPassword(context.Background(), u.Login, hash, false); err != nil {
			s.log.Error().Err(err).Msg("storing new password failed")
			return nil, errDenied
		}
		s.auditConn(conn, ledger.EventPasswordSet, "temporary password replaced at login")
		return s.succeeded(conn, u)
	}
	return nil, errDenied
}

func (s *Server) publicKeyAuth(conn ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
	u, err := s.lookup(conn.User())
	if err != nil || u == nil {
		return nil, errDenied
	}
	if err := s.checkLocked(conn, u); err != nil {
		return nil, err
	}
	ok, err := s.ledger.HasKey(context.Background(), u.Login, ssh.FingerprintSHA256(key))
	if err != nil || !ok {
		return nil, errDenied
	}
	// x/crypto/ssh calls this callback also for keys only offered, not
	// proven; identity is taken from the Permissions it returns for the
	// key that was finally verified, never from state kept here.
	return &ssh.Permissions{Extensions: map[string]string{
		extLogin: u.Login, "pubkey-fp": ssh.FingerprintSHA256(key),
	}}, nil
}

func (s *Server) succeeded(conn ssh.ConnMetadata, u *ledger.User) (*ssh.Permissions, error) {
	return &ssh.Permissions{Extensions: map[string]string{extLogin: u.Login}}, nil
}

func (s *Server) auditConn(conn ssh.ConnMetadata, event, detail string) {
	err := s.ledger.Audit(context.Background(), ledger.Event{
		At: s.now(), Event: event, Login: conn.User(), Remote: remoteHost(conn.RemoteAddr()), Detail: detail,
	})
	if err != nil {
		s.log.Error().Err(err).Msg("audit write failed")
	}
}
