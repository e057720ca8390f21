package mailer

import (
	"strconv"
	"time"
)

// Server is where users connect, as the username notice tells them.
type Server struct {
	Host string
	Port int
}

// NewUserNotice gives a user its username. It never holds the password,
// which goes in a separate NewUserPassword notice.
type NewUserNotice struct {
	To      string // the user's address
	Login   string
	Mailbox Party // zero for an admin
	Role    string
	Server  Server
	Reset   bool // the password was reset, not the account created
}

// NewUserUsername is the first of the two emails to a new user, or a user
// whose password was reset: the username and how to connect, without the
// password.
func NewUserUsername(n NewUserNotice) Message {
	var b body
	subj := subject("your new account")
	if n.Reset {
		b.line("The password of your S2S account was reset.")
		subj = subject("your password was reset")
	} else {
		b.line("An S2S secure file transfer account was created for you.")
	}
	b.blank()
	b.line("Username: %s", oneLine(n.Login))
	if n.Mailbox.Code != "" {
		b.line("Mailbox:  %s", n.Mailbox)
	}
	if n.Role != "" {
		b.line("Role:     %s", oneLine(n.Role))
	}
	b.blank()
	b.line("Your temporary password comes in a separate email. When you next log in")
	b.line("you will be asked to choose a new password.")
	b.blank()
	b.line("To connect, use an SFTP client such as WinSCP or FileZilla with:")
	b.line("  Protocol: SFTP")
	b.line("  Host:     %s", oneLine(n.Server.Host))
	if n.Server.Port != 0 {
		b.line("  Port:     %s", strconv.Itoa(n.Server.Port))
	}
	b.line("  Username: %s", oneLine(n.Login))
	return Message{Kind: KindNewUserUsername, To: recipients([]string{n.To}), Subject: subj, Body: b.done()}
}

// TempPasswordNotice gives a user its temporary password. It never holds
// the username, the mailbox or the server, which go in the separate
// NewUserUsername notice.
type TempPasswordNotice struct {
	To       string
	Password string
	Reset    bool
}

// NewUserPassword is the second of the two emails to a new user, or a
// user whose password was reset: the temporary password alone. Its body is
// scrubbed from the outbox once it has been sent.
func NewUserPassword(n TempPasswordNotice) Message {
	var b body
	b.line("Your temporary S2S password is:")
	b.blank()
	b.line("    %s", oneLine(n.Password))
	b.blank()
	b.line("Your username comes in a separate email. You must choose a new password")
	b.line("when you first log in with this one.")
	if n.Reset {
		b.blank()
		b.line("If you did not ask for your password to be reset, tell your S2S administrator.")
	}
	return Message{
		Kind:    KindNewUserPassword,
		To:      recipients([]string{n.To}),
		Subject: subject("your temporary password"),
		Body:    b.done(),
		Scrub:   true,
	}
}

// SecureMessageNotice tells a recipient that a secure message waits. It
// holds neither the message nor its subject, either of which may hold
// pupil data.
type SecureMessageNotice struct {
	To        []string // the recipient mailbox's contact and its users
	From      Party
	Recipient Party
	Sent      time.Time
}

// SecureMessageWaiting is the notice that a secure message is waiting.
func SecureMessageWaiting(n SecureMessageNotice) Message {
	var b body
	b.line("%s sent a secure message to %s on %s.", n.From, n.Recipient, clock(n.Sent))
	b.blank()
	b.line("Read it in the /messages/inbox/ folder of your S2S mailbox. For your")
	b.line("security this email does not contain the message.")
	return Message{
		Kind:    KindSecureMessage,
		To:      recipients(n.To),
		Subject: subject("a secure message from %s is waiting", n.From),
		Body:    b.done(),
	}
}
