package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/s2sd/s2sd/accounts"
	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// UserCmd groups the user commands.
type UserCmd struct {
	Add    UserAddCmd    `cmd:"" help:"Add a user to a mailbox."`
	Passwd UserPasswdCmd `cmd:"" help:"Set a user's password."`
	Key    UserKeyCmd    `cmd:"" help:"Manage a user's SSH public keys."`
	List   UserListCmd   `cmd:"" help:"List users."`
	Del    UserDelCmd    `cmd:"" help:"Delete a user and its keys."`
	Unlock UserUnlockCmd `cmd:"" help:"Clear a user's lockout after failed logins."`
}

// UserAddCmd adds a user.
type UserAddCmd struct {
	Login   string `arg:"" help:"Login name: 3-64 letters, digits, '.', '-', '_' or '@'."`
	Mailbox string `placeholder:"CODE" help:"The user's mailbox; leave out for an admin."`
	Role    string `required:"" help:"school, la-user, la-school, la-lost-pupil, la-lost-pupil-transfer, la-dba, la-dba-view, la-plasc, la-admissions or admin."`
	Email   string `required:"" placeholder:"ADDR" help:"The user's work email address (not on a personal domain)."`
	PasswordFlags
	Key string `placeholder:"FILE" help:"OpenSSH public key file (e.g. id_ed25519.pub) the user may log in with."`
}

// Validate insists on a way to log in.
func (c *UserAddCmd) Validate() error {
	if !c.PasswordStdin && !c.TemporaryPassword && c.Key == "" {
		return errors.New("give --password-stdin, --temporary-password or --key FILE: a user needs a password or a key to log in")
	}
	return nil
}

// Run adds the user.
func (c *UserAddCmd) Run(ctx context.Context, g *Globals) error {
	if err := auth.ValidateLogin(c.Login); err != nil {
		return err
	}
	r, err := routing.ParseRole(c.Role)
	if err != nil {
		return err
	}
	led, cfg, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()

	mailbox, err := c.mailbox(ctx, led, r, cfg.LANumberSet())
	if err != nil {
		return err
	}
	if err := auth.ValidateEmail(c.Email, cfg.PersonalDomains); err != nil {
		return err
	}
	var keys []ledger.Key
	if c.Key != "" {
		if keys, err = readKeys(c.Key); err != nil {
			return err
		}
	}
	pw, err := c.password(g, cfg.Auth.MinPasswordLength)
	if err != nil {
		return err
	}
	if _, err := led.User(ctx, c.Login); err == nil {
		return fmt.Errorf("user %s already exists", c.Login)
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return err
	}
	var hash string
	if pw.text != "" {
		if hash, err = hashPassword(ctx, cfg, pw.text); err != nil {
			return err
		}
	}

	now := time.Now()
	u := ledger.User{Login: c.Login, Mailbox: mailbox, Role: string(r), Email: c.Email, PasswordHash: hash, MustChange: pw.temporary}
	temp := ""
	if pw.temporary {
		temp = pw.text
	}
	if _, err := led.AddUser(ctx, u, now, accounts.Notices(ctx, led, cfg.Listen, u, temp, false, now)...); errors.Is(err, ledger.ErrExists) {
		return fmt.Errorf("user %s already exists", c.Login)
	} else if err != nil {
		return err
	}
	for _, k := range keys {
		if err := led.AddKey(ctx, c.Login, k, now); err != nil {
			// Leave no half-made user behind.
			if derr := led.DeleteUser(ctx, c.Login); derr != nil {
				return fmt.Errorf("add key %s: %w (and removing the half-added user %s failed: %v)", k.Fingerprint, err, c.Login, derr)
			}
			return fmt.Errorf("add key %s: %w", k.Fingerprint, err)
		}
	}
	detail := "user add role=" + string(r)
	if mailbox != "" {
		detail += " mailbox=" + mailbox
	}
	if hash != "" {
		detail += " password=" + pw.how()
	}
	if len(keys) > 0 {
		detail += fmt.Sprintf(" keys=%d", len(keys))
	}
	if err := audit(ctx, led, mailbox, c.Login, detail); err != nil {
		return err
	}
	if mailbox == "" {
		fmt.Fprintf(g.Stdout, "added user %s (%s)\n", c.Login, string(r))
	} else {
		fmt.Fprintf(g.Stdout, "added user %s (%s) in mailbox %s\n", c.Login, string(r), mailbox)
	}
	for _, k := range keys {
		fmt.Fprintf(g.Stdout, "added key %s to %s\n", k.Fingerprint, c.Login)
	}
	pw.announce(g, c.Login)
	return nil
}

// mailbox checks --mailbox against the role and returns the mailbox code
// ("" for an admin).
func (c *UserAddCmd) mailbox(ctx context.Context, led *ledger.Ledger, r routing.Role, las routing.LANumbers) (string, error) {
	if r.MailboxKind() == "" {
		if c.Mailbox != "" {
			return "", fmt.Errorf("role %s has no mailbox: leave out --mailbox", string(r))
		}
		return "", nil
	}
	if c.Mailbox == "" {
		return "", fmt.Errorf("role %s needs --mailbox CODE: %s", string(r), describeKind(r.MailboxKind()))
	}
	code, err := parseMailboxCode(c.Mailbox, las)
	if err != nil {
		return "", fmt.Errorf("--mailbox: %w", err)
	}
	m, err := existingMailbox(ctx, led, code.Value)
	if err != nil {
		return "", err
	}
	if routing.Kind(m.Kind) != r.MailboxKind() {
		return "", fmt.Errorf("role %s belongs in %s, but %s is %s: give a matching --mailbox, or a role for that mailbox (%s)",
			string(r), describeKind(r.MailboxKind()), m.Code, describeKind(routing.Kind(m.Kind)), strings.Join(accounts.RolesFor(routing.Kind(m.Kind)), ", "))
	}
	if m.Status != ledger.StatusOpen {
		return "", fmt.Errorf("mailbox %s is closed: add the user to its successor or another open mailbox", m.Code)
	}
	return m.Code, nil
}

// describeKind names a kind of mailbox for people.
func describeKind(k routing.Kind) string {
	switch k {
	case routing.KindSchool:
		return "a school mailbox (LLLSSSS)"
	case routing.KindLA:
		return "an LA mailbox (LLLLLLL)"
	case routing.KindLAPlasc:
		return "an LA census mailbox (LLLPLAS)"
	case routing.KindLAAdmissions:
		return "an LA admissions mailbox (LLLADMS)"
	}
	return "a " + string(k) + " mailbox"
}

// UserListCmd lists users.
type UserListCmd struct {
	FormatFlag
}

// Run lists the users.
func (c *UserListCmd) Run(ctx context.Context, g *Globals) error {
	led, _, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()
	users, err := led.Users(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	l := listing{columns: []string{"login", "mailbox", "role", "email", "locked", "last_login", "keys"}}
	for _, u := range users {
		keys, err := led.Keys(ctx, u.Login)
		if err != nil {
			return err
		}
		l.rows = append(l.rows, []any{u.Login, u.Mailbox, u.Role, u.Email, u.Locked(now), u.LastLogin, len(keys)})
	}
	return l.write(g.Stdout, c.Format)
}

// UserDelCmd deletes a user.
type UserDelCmd struct {
	Login string `arg:"" help:"The user to delete."`
}

// Run deletes the user.
func (c *UserDelCmd) Run(ctx context.Context, g *Globals) error {
	led, _, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()
	u, err := existingUser(ctx, led, c.Login)
	if err != nil {
		return err
	}
	if err := led.DeleteUser(ctx, u.Login); err != nil {
		return userError(u.Login, err)
	}
	if err := audit(ctx, led, u.Mailbox, u.Login, "user del role="+u.Role); err != nil {
		return err
	}
	fmt.Fprintf(g.Stdout, "deleted user %s\n", u.Login)
	return nil
}

// UserUnlockCmd clears a lockout.
type UserUnlockCmd struct {
	Login string `arg:"" help:"The user to unlock."`
}

// Run unlocks the user.
func (c *UserUnlockCmd) Run(ctx context.Context, g *Globals) error {
	led, _, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()
	u, err := existingUser(ctx, led, c.Login)
	if err != nil {
		return err
	}
	if err := led.Unlock(ctx, u.Login); err != nil {
		return userError(u.Login, err)
	}
	if err := audit(ctx, led, u.Mailbox, u.Login, "user unlock"); err != nil {
		return err
	}
	fmt.Fprintf(g.Stdout, "unlocked %s\n", u.Login)
	return nil
}

// existingUser returns the user with the given login.
func existingUser(ctx context.Context, led *ledger.Ledger, login string) (ledger.User, error) {
	u, err := led.User(ctx, login)
	if err != nil {
		return ledger.User{}, userError(login, err)
	}
	return u, nil
}

// userError words a ledger error about a user for the command line.
func userError(login string, err error) error {
	if errors.Is(err, ledger.ErrNotFound) {
		return fmt.Errorf("user %s does not exist", login)
	}
	return err
}
