package mailer

import "time"

// FileWaitingNotice tells a destination that a file waits in its inbox.
type FileWaitingNotice struct {
	To        []string // the mailbox's contact and its users
	Recipient Party    // the destination mailbox
	Sender    Party
	// Addressed is the closed mailbox the file was addressed to, when it
	// came to Recipient as its successor; zero otherwise.
	Addressed Party
	FileName  string
	Uploaded  time.Time
	Expires   time.Time // when it expires uncollected; zero to leave out
}

// FileWaiting is the notice to a destination that a file is waiting.
func FileWaiting(n FileWaitingNotice) Message {
	var b body
	b.line("A file from %s is waiting in your S2S inbox: %s", n.Sender, fileName(n.FileName))
	b.blank()
	b.line("Mailbox:  %s", n.Recipient)
	b.line("From:     %s", n.Sender)
	b.line("Uploaded: %s", clock(n.Uploaded))
	if n.Addressed.Code != "" {
		b.blank()
		b.line("It was addressed to %s, which has closed; it came to you as its successor.", n.Addressed)
	}
	b.blank()
	b.line("Collect it from the /inbox/ folder of your S2S mailbox.")
	if !n.Expires.IsZero() {
		b.line("If nobody collects it, it will be deleted on %s.", day(n.Expires))
	}
	return Message{
		Kind:    KindFileWaiting,
		To:      recipients(n.To),
		Subject: subject("file waiting from %s", n.Sender),
		Body:    b.done(),
	}
}

// ConfirmationNotice confirms to a sender that its file was accepted.
type ConfirmationNotice struct {
	To        []string // the sender's contact, and the user who sent it
	Sender    Party
	Dest      Party // where it went: a mailbox, or the Lost Pupil Database
	Addressed Party // the closed mailbox it was addressed to, if redirected; zero otherwise
	FileName  string
	Pupils    int // pupil records in it; 0 for a generic file
	Uploaded  time.Time
	// Warnings are the validator's data-quality findings, which name
	// pupils only by their position in the file.
	Warnings []string
}

// Confirmation is the notice to a sender that its file was accepted, with
// any data-quality warnings.
func Confirmation(n ConfirmationNotice) Message {
	var b body
	b.line("Your file %s was accepted and is waiting for %s.", fileName(n.FileName), n.Dest)
	b.blank()
	b.line("From:     %s", n.Sender)
	b.line("To:       %s", n.Dest)
	if n.Pupils > 0 {
		b.line("Pupils:   %d", n.Pupils)
	}
	b.line("Uploaded: %s", clock(n.Uploaded))
	if n.Addressed.Code != "" {
		b.blank()
		b.line("You addressed it to %s, which has closed; it went to its successor %s.", n.Addressed, n.Dest)
		b.line("Address future files to %s.", n.Dest.Code)
	}
	subj := subject("%s sent to %s", fileName(n.FileName), n.Dest)
	if len(n.Warnings) > 0 {
		b.blank()
		b.line("The file was sent, but has %s about the quality of its data.",
			plural(len(n.Warnings), "warning", "warnings"))
		b.line("Please correct these in your MIS before you next send these pupils' records:")
		b.list(n.Warnings)
		b.blank()
		b.line("The report /reports/quality.csv lists them too.")
		subj += " with " + plural(len(n.Warnings), "warning", "warnings")
	}
	return Message{Kind: KindConfirmation, To: recipients(n.To), Subject: subj, Body: b.done()}
}

// CollectedNotice tells a sender that its file was collected.
type CollectedNotice struct {
	To        []string
	Sender    Party
	Dest      Party
	FileName  string
	Collected time.Time
}

// Collected is the notice to a sender that the destination collected its
// file.
func Collected(n CollectedNotice) Message {
	var b body
	b.line("Your file %s was collected by %s on %s.", fileName(n.FileName), n.Dest, clock(n.Collected))
	b.blank()
	b.line("Nothing more needs doing.")
	return Message{
		Kind:    KindCollected,
		To:      recipients(n.To),
		Subject: subject("%s collected by %s", fileName(n.FileName), n.Dest),
		Body:    b.done(),
	}
}

// RejectedNotice tells a sender that the destination deleted its file
// without collecting it.
type RejectedNotice struct {
	To       []string
	Sender   Party
	Dest     Party
	FileName string
	Rejected time.Time
}

// RejectedByRecipient is the notice to a sender that the destination
// rejected its file.
func RejectedByRecipient(n RejectedNotice) Message {
	var b body
	b.line("%s deleted your file %s from their inbox on %s without collecting it.",
		n.Dest, fileName(n.FileName), clock(n.Rejected))
	b.blank()
	b.line("This usually means the file was not meant for them. If the pupils have moved")
	b.line("elsewhere, send the file to the right school or LA, with the next sequence")
	b.line("number. If you are not sure why, contact %s.", n.Dest)
	return Message{
		Kind:    KindRejected,
		To:      recipients(n.To),
		Subject: subject("%s rejected by %s", fileName(n.FileName), n.Dest),
		Body:    b.done(),
	}
}

// ValidationFailedNotice tells a sender that its file failed validation.
type ValidationFailedNotice struct {
	To       []string
	Sender   Party
	FileName string
	Received time.Time
	// Reasons are every reason the file was refused, as the validator
	// gives them: they name pupils only by their position in the file.
	Reasons []string
	Deleted time.Time // when the rejected file is deleted; zero to leave out
}

// ValidationFailed is the notice to a sender that its file was refused,
// with every reason.
func ValidationFailed(n ValidationFailedNotice) Message {
	var b body
	b.line("Your file %s, received on %s, was refused and has NOT been sent.", fileName(n.FileName), clock(n.Received))
	b.blank()
	if len(n.Reasons) == 1 {
		b.line("The reason:")
	} else {
		b.line("The %d reasons:", len(n.Reasons))
	}
	b.list(n.Reasons)
	b.blank()
	b.line("Correct the file (usually by exporting it again from your MIS) and send it again.")
	b.line("The refused file is in the /rejected/ folder of your S2S mailbox, with the")
	b.line("reasons in a .txt file beside it.")
	if !n.Deleted.IsZero() {
		b.line("Both are deleted on %s.", day(n.Deleted))
	}
	return Message{
		Kind:    KindValidationFailed,
		To:      recipients(n.To),
		Subject: subject("%s was not sent: it failed validation", fileName(n.FileName)),
		Body:    b.done(),
	}
}

// RedirectedNotice tells a sender that its file went to the successor of
// the closed mailbox it was addressed to.
type RedirectedNotice struct {
	To        []string
	Sender    Party
	Addressed Party // the closed mailbox
	Successor Party
	FileName  string
	At        time.Time
}

// Redirected is the notice to a sender that its file was redirected to a
// successor.
func Redirected(n RedirectedNotice) Message {
	var b body
	b.line("You sent %s to %s, which has closed.", fileName(n.FileName), n.Addressed)
	b.line("It was delivered on %s to its successor, %s.", clock(n.At), n.Successor)
	b.blank()
	b.line("Address future files for these pupils to %s.", n.Successor.Code)
	return Message{
		Kind:    KindRedirected,
		To:      recipients(n.To),
		Subject: subject("%s was redirected to %s", fileName(n.FileName), n.Successor),
		Body:    b.done(),
	}
}

// ExpiredNotice tells a sender and its LA that a file expired uncollected.
type ExpiredNotice struct {
	To       []string // the sender's contact and its LA's
	Sender   Party
	Dest     Party
	FileName string
	Uploaded time.Time
	Expired  time.Time
}

// Expired is the notice to a sender and its LA that a file was deleted
// uncollected.
func Expired(n ExpiredNotice) Message {
	var b body
	b.line("%s was not collected by %s and was deleted on %s,", fileName(n.FileName), n.Dest, day(n.Expired))
	b.line("as the retention rules require. It was uploaded by %s on %s.", n.Sender, day(n.Uploaded))
	b.blank()
	b.line("If the pupils' records are still needed, contact %s, then send", n.Dest)
	b.line("the file again with the next sequence number.")
	return Message{
		Kind:    KindExpired,
		To:      recipients(n.To),
		Subject: subject("%s expired uncollected", fileName(n.FileName)),
		Body:    b.done(),
	}
}

// WithdrawnNotice tells a sender that an LA withdrew its uncollected file.
type WithdrawnNotice struct {
	To       []string
	Sender   Party
	Dest     Party
	By       Party // the LA that withdrew it
	FileName string
	At       time.Time
}

// Withdrawn is the notice to a sender that its file was withdrawn before
// the destination collected it.
func Withdrawn(n WithdrawnNotice) Message {
	var b body
	b.line("%s withdrew your file %s on %s, before %s collected it.", n.By, fileName(n.FileName), clock(n.At), n.Dest)
	b.blank()
	b.line("An LA does this to send a file on to where the pupils went. If you have")
	b.line("questions, contact %s.", n.By)
	return Message{
		Kind:    KindWithdrawn,
		To:      recipients(n.To),
		Subject: subject("%s was withdrawn by %s", fileName(n.FileName), n.By),
		Body:    b.done(),
	}
}
