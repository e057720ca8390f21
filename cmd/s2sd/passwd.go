package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/s2sd/s2sd/accounts"
	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/ledger"
)

// PasswordFlags are the ways to set a password.
type PasswordFlags struct {
	PasswordStdin     bool `xor:"password" help:"Read the password from the first line of standard input."`
	TemporaryPassword bool `xor:"password" help:"Generate a temporary password, print it once; it must be changed at first login."`
}

// newPassword is a password to set, and how it was given.
type newPassword struct {
	text      string // "" for none
	temporary bool
}

// password reads or generates the password the flags ask for.
func (f PasswordFlags) password(g *Globals, minLen int) (newPassword, error) {
	switch {
	case f.PasswordStdin:
		pw, err := readPassword(g.Stdin)
		if err != nil {
			return newPassword{}, err
		}
		if err := auth.ValidateNewPassword(pw, minLen); err != nil {
			return newPassword{}, fmt.Errorf("password on standard input: %w", err)
		}
		return newPassword{text: pw}, nil
	case f.TemporaryPassword:
		pw, err := auth.TemporaryPassword()
		if err != nil {
			return newPassword{}, err
		}
		return newPassword{text: pw, temporary: true}, nil
	}
	return newPassword{}, nil
}

// how names the way a password was given, for the audit log.
func (p newPassword) how() string {
	if p.temporary {
		return "temporary"
	}
	return "stdin"
}

// announce prints a temporary password: the only time anyone sees it.
func (p newPassword) announce(g *Globals, login string) {
	if p.temporary {
		fmt.Fprintf(g.Stdout, "temporary password for %s: %s (must be changed at first login)\n", login, p.text)
	}
}

// readPassword reads one line from r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("no password on standard input: pipe it in as one line, e.g. from a password manager")
		}
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// hashPassword returns the argon2id hash of pw.
func hashPassword(ctx context.Context, cfg config.Config, pw string) (string, error) {
	return auth.NewHasher(auth.DefaultParams(), cfg.Auth.MaxConcurrentHashes).Hash(ctx, pw)
}

// UserPasswdCmd sets a user's password.
type UserPasswdCmd struct {
	Login string `arg:"" help:"The user."`
	PasswordFlags
}

// Validate insists on one way to set the password.
func (c *UserPasswdCmd) Validate() error {
	if !c.PasswordStdin && !c.TemporaryPassword {
		return errors.New("give --password-stdin or --temporary-password")
	}
	return nil
}

// Run sets the password. It also clears any lockout.
func (c *UserPasswdCmd) Run(ctx context.Context, g *Globals) error {
	led, cfg, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()
	u, err := existingUser(ctx, led, c.Login)
	if err != nil {
		return err
	}
	pw, err := c.password(g, cfg.Auth.MinPasswordLength)
	if err != nil {
		return err
	}
	hash, err := hashPassword(ctx, cfg, pw.text)
	if err != nil {
		return err
	}
	var notices []ledger.Mail
	if pw.temporary {
		notices = accounts.Notices(ctx, led, cfg.Listen, u, pw.text, true, time.Now())
	}
	if err := led.SetPassword(ctx, u.Login, hash, pw.temporary, notices...); err != nil {
		return userError(u.Login, err)
	}
	if err := audit(ctx, led, u.Mailbox, u.Login, "user passwd password="+pw.how()); err != nil {
		return err
	}
	if pw.temporary {
		pw.announce(g, u.Login)
	} else {
		fmt.Fprintf(g.Stdout, "password set for %s\n", u.Login)
	}
	return nil
}
