package main

import (
	"context"
	"net"
	"strconv"
	"time"

	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/mailer"
)

// accountNotices are the emails to a user whose account was created or
// whose password was reset: the username and how to connect in one, and
// a temporary password, if there is one, alone in another.
func accountNotices(ctx context.Context, led *ledger.Ledger, cfg config.Config, u ledger.User, tempPassword string, reset bool, now time.Time) []ledger.Mail {
	host, p, _ := net.SplitHostPort(cfg.Listen)
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
