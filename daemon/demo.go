package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/ledger"
)

// demoMailboxes are the example parties of `serve --demo`: two LAs, one
// English and one Welsh, and three schools.
var demoMailboxes = [...]ledger.Mailbox{
	{Code: "823LLLL", Name: "Central Bedfordshire Council", Kind: "la", LA: "823", Email: "s2s@centralbeds.example.gov.uk", Copies: true},
	{Code: "660LLLL", Name: "Isle of Anglesey County Council", Kind: "la", LA: "660", Email: "s2s@anglesey.example.gov.uk", Copies: true},
	{Code: "8231234", Name: "Ampthill Lower School", Kind: "school", LA: "823", Email: "office@ampthill.example.sch.uk", Town: "Ampthill", Postcode: "MK45 2AA"},
	{Code: "8232345", Name: "Biggleswade Academy", Kind: "school", LA: "823", Email: "office@biggleswade.example.sch.uk", Town: "Biggleswade", Postcode: "SG18 8AA"},
	{Code: "6602001", Name: "Ysgol Gynradd Amlwch", Kind: "school", LA: "660", Email: "swyddfa@amlwch.example.sch.uk", Town: "Amlwch", Postcode: "LL68 9AA"},
}

var demoUsers = [...]ledger.User{
	{Login: "ampthill", Mailbox: "8231234", Role: "school", Email: "office@ampthill.example.sch.uk"},
	{Login: "biggleswade", Mailbox: "8232345", Role: "school", Email: "office@biggleswade.example.sch.uk"},
	{Login: "amlwch", Mailbox: "6602001", Role: "school", Email: "swyddfa@amlwch.example.sch.uk"},
	{Login: "centralbeds", Mailbox: "823LLLL", Role: "la-user", Email: "s2s@centralbeds.example.gov.uk"},
	{Login: "anglesey", Mailbox: "660LLLL", Role: "la-user", Email: "s2s@anglesey.example.gov.uk"},
}

// ProvisionDemo creates the demo mailboxes and users if missing, gives each
// demo user a fresh random password, and prints the logins to w.
func ProvisionDemo(ctx context.Context, l *ledger.Ledger, h *auth.Hasher, listen string, w io.Writer) error {
	now := time.Now()
	for _, m := range demoMailboxes {
		if err := l.AddMailbox(ctx, m, now); err != nil && !errors.Is(err, ledger.ErrExists) {
			return fmt.Errorf("demo: %w", err)
		}
	}
	fmt.Fprintf(w, "Demo logins (passwords are new on each start with --demo):\n")
	for _, u := range demoUsers {
		password, err := auth.TemporaryPassword()
		if err != nil {
			return err
		}
		hash, err := h.Hash(ctx, password)
		if err != nil {
			return err
		}
		if _, err := l.AddUser(ctx, u, now); err != nil && !errors.Is(err, ledger.ErrExists) {
			return fmt.Errorf("demo: %w", err)
		}
		if err := l.SetPassword(ctx, u.Login, hash, false); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		fmt.Fprintf(w, "  %-12s %-8s %-8s password %s\n", u.Login, u.Mailbox, u.Role, password)
	}
	host, port := splitListen(listen)
	fmt.Fprintf(w, "Connect with: sftp -P %s ampthill@%s\n", port, host)
	return nil
}
