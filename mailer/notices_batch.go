package mailer

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A phase transfer sends hundreds of files to a school or LA in minutes.
// The router gathers the notices of the files it routes together (up to
// 64, arriving within a fraction of a second) into one message per
// recipient, sender and kind, so that a recipient reads one email listing
// the files rather than one email for each; a file routed alone gets the
// notice it always did.

// FilesWaiting is the notice to a destination that files from one sender
// are waiting: FileWaiting for one file, and for several one message
// listing them. The notices must share To, Recipient, Sender and
// Addressed; each gives a file's name, upload time and expiry.
func FilesWaiting(ns []FileWaitingNotice) Message {
	if len(ns) == 1 {
		return FileWaiting(ns[0])
	}
	ns = byFileName(ns, func(n FileWaitingNotice) string { return n.FileName })
	n := ns[0]
	var b body
	b.line("%d files from %s are waiting in your S2S inbox:", len(ns), n.Sender)
	var items []string
	var expires time.Time
	for _, f := range ns {
		items = append(items, fmt.Sprintf("%s, uploaded %s", fileName(f.FileName), clock(f.Uploaded)))
		if !f.Expires.IsZero() && (expires.IsZero() || f.Expires.Before(expires)) {
			expires = f.Expires
		}
	}
	b.list(items)
	b.blank()
	b.line("Mailbox:  %s", n.Recipient)
	b.line("From:     %s", n.Sender)
	if n.Addressed.Code != "" {
		b.blank()
		b.line("They were addressed to %s, which has closed; they came to you as its successor.", n.Addressed)
	}
	b.blank()
	b.line("Collect them from the /inbox/ folder of your S2S mailbox.")
	if !expires.IsZero() {
		b.line("If nobody collects them, they will be deleted on %s.", day(expires))
	}
	return Message{
		Kind:    KindFileWaiting,
		To:      recipients(n.To),
		Subject: subject("%d files waiting from %s", len(ns), n.Sender),
		Body:    b.done(),
	}
}

// Confirmations is the notice to a sender that its files were accepted:
// Confirmation for one file, and for several one message listing them,
// each with where it went and any data-quality warnings. The notices
// must share To and Sender.
func Confirmations(ns []ConfirmationNotice) Message {
	if len(ns) == 1 {
		return Confirmation(ns[0])
	}
	ns = byFileName(ns, func(n ConfirmationNotice) string { return n.FileName })
	n := ns[0]
	var b body
	b.line("Your %d files were accepted:", len(ns))
	var items []string
	warned, redirected := 0, false
	for _, f := range ns {
		it := fmt.Sprintf("%s to %s", fileName(f.FileName), f.Dest)
		if f.Pupils > 0 {
			it += ", " + plural(f.Pupils, "pupil", "pupils")
		}
		it += ", uploaded " + clock(f.Uploaded)
		if len(f.Warnings) > 0 {
			warned++
			it += ", " + plural(len(f.Warnings), "warning", "warnings")
		}
		items = append(items, it)
		redirected = redirected || f.Addressed.Code != ""
	}
	b.list(items)
	b.blank()
	b.line("From:     %s", n.Sender)
	if redirected {
		b.blank()
		for _, f := range ns {
			if f.Addressed.Code != "" {
				b.line("You addressed %s to %s, which has closed; it went to its successor %s.", fileName(f.FileName), f.Addressed, f.Dest)
				b.line("Address future files to %s.", f.Dest.Code)
			}
		}
	}
	subj := subject("%d files sent", len(ns))
	if warned > 0 {
		b.blank()
		if warned == 1 {
			b.line("The files were sent, but 1 of them has warnings about the quality of its data.")
		} else {
			b.line("The files were sent, but %d of them have warnings about the quality of their data.", warned)
		}
		b.line("Please correct these in your MIS before you next send these pupils' records:")
		for _, f := range ns {
			if len(f.Warnings) == 0 {
				continue
			}
			b.blank()
			b.line("%s:", fileName(f.FileName))
			b.list(f.Warnings)
		}
		b.blank()
		b.line("The report /reports/quality.csv lists them too.")
		subj += fmt.Sprintf(", %d with warnings", warned)
	}
	return Message{Kind: KindConfirmation, To: recipients(n.To), Subject: subj, Body: b.done()}
}

// byFileName returns a copy of notices, sorted by the file each is about.
func byFileName[N any](ns []N, file func(N) string) []N {
	ns = slices.Clone(ns)
	slices.SortFunc(ns, func(a, b N) int { return strings.Compare(file(a), file(b)) })
	return ns
}
