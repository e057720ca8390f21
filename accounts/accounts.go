// Package accounts holds what the command line and an LA's /admin/ folder
// share when they make or change users: the emails a new or reset account
// is sent, and which roles fit which mailboxes.
package accounts

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/mailer"
	"github.com/s2sd/s2sd/routing"
)

// Notices are the emails to a user whose account was created or whose
// password was reset: the username and how to connect in one, and a
// temporary password, if there is one, alone in another. listen is the
// SFTP address users connect to (host:port).
func Notices(ctx context.Context, led *ledger.Ledger, listen string, u ledger.User, tempPassword string, reset bool, now time.Time) []ledger.Mail {
	host, p, _ := net.SplitHostPort(listen)
	port, _ := strconv.Atoi(p)
	var box mailer.Party
	if m, err := led.Mailbox(ctx, u.Mailbox); err == nil {
		box = mailer.Party{Code: m.Code, Name: m.Name}
	}
	var ms []mailer.Message
	if !reset || tempPassword != "" {
		ms = append(ms, mailer.NewUserUsername(mailer.NewUserNotice{
			To: u.Email, Login: u.Login, Mailbox: box, Role: u.Role,
			Server: mailer.Server{Host: host, Port: port}, Reset: reset,
		}))
	}
	if tempPassword != "" {
		ms = append(ms, mailer.NewUserPassword(mailer.TempPasswordNotice{To: u.Email, Password: tempPassword, Reset: reset}))
	}
	return mailer.Mails(now, ms...)
}

// RolesFor lists the names of the roles that belong in mailboxes of kind k.
func RolesFor(k routing.Kind) []string {
	var names []string
	for _, r := range routing.Roles() {
		if r.MailboxKind() == k {
			names = append(names, string(r))
		}
	}
	return names
}
