package delivery

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
	"github.com/s2sd/s2sd/spool"
)

// destination is where a valid name goes.
type destination struct {
	name     routing.Name
	sender   routing.Code // the mailbox the file is sent from
	dest     routing.Code // after any successor redirect
	mailbox  ledger.Mailbox
	redirect bool
}

// check applies every rule that the name and the sender alone decide: the
// grammar, the sender's authority, the destination, and whether the name
// still waits there. The same check runs at OPEN and when routing.
func (r *Router) check(ctx context.Context, lk *lookups, who Sender, name string) (destination, error) {
	n, err := routing.ParseName(name, r.cfg.LANumbers)
	if err != nil {
		return destination{}, err
	}
	senderCode := n.Source
	if who.Mailbox != "" {
		if senderCode, err = routing.ParseCode(who.Mailbox, r.cfg.LANumbers); err != nil {
			return destination{}, fmt.Errorf("your mailbox %s is not valid: ask your administrator", who.Mailbox)
		}
	} else if _, err := lk.mailbox(ctx, senderCode.Value); err != nil {
		return destination{}, fmt.Errorf("the source %s is not a known mailbox", senderCode)
	}
	if err := routing.CheckSender(n, senderCode, who.Role); err != nil {
		return destination{}, err
	}
	d := destination{name: n, sender: n.Source, dest: n.Dest}
	if n.IsLost() {
		sent, err := lk.waiting(ctx, n.Dest.Value, name)
		if err != nil {
			return destination{}, err
		}
		if sent {
			return destination{}, fmt.Errorf("%s is already in the Lost Pupil Database: send the file again under the next sequence number", name)
		}
		return d, nil
	}
	m, waiting, err := lk.mailboxWaiting(ctx, n.Dest.Value, name)
	if errors.Is(err, ledger.ErrNotFound) {
		return destination{}, fmt.Errorf("destination %s is not a known establishment: check the DfE number or LA code", n.Dest)
	}
	if err != nil {
		return destination{}, err
	}
	for hops := 0; m.Status == ledger.StatusClosed; hops++ {
		if m.Successor == "" || hops > 8 {
			return destination{}, fmt.Errorf("destination %s (%s) is closed: check where the pupil has gone with the LA", m.Code, m.Name)
		}
		if m, err = lk.mailbox(ctx, m.Successor); err != nil {
			return destination{}, fmt.Errorf("destination %s is closed and its successor is not a known establishment: ask your LA", n.Dest)
		}
		d.redirect = true
	}
	if d.dest, err = routing.ParseCode(m.Code, r.cfg.LANumbers); err != nil {
		return destination{}, fmt.Errorf("destination %s is not a valid code: ask the service desk", m.Code)
	}
	d.mailbox = m
	if d.redirect { // waiting was asked of the closed mailbox
		if waiting, err = lk.waiting(ctx, m.Code, name); err != nil {
			return destination{}, err
		}
	}
	if !waiting {
		_, serr := os.Lstat(r.cfg.abs(spoolRel(m.Code, spool.Inbox, name)))
		waiting = serr == nil
	}
	if waiting {
		return destination{}, fmt.Errorf("%s is still waiting at %s: send the file again under the next sequence number", name, m.Code)
	}
	return d, nil
}

// CheckUpload is the OPEN pre-check: it refuses a name that could not be
// routed before any data is sent, and returns the size limit for the file.
func (r *Router) CheckUpload(ctx context.Context, who Sender, name string) (int64, error) {
	d, err := r.check(ctx, &lookups{l: r.ledger, held: r.held, waits: r.waits}, who, name)
	if err != nil {
		return 0, err
	}
	kind := d.sender.Kind
	if who.Mailbox == "" {
		kind = ""
	}
	return routing.SizeLimit(d.name, kind, r.cfg.Limits), nil
}
