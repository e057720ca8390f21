// Package delivery carries out routing: it checks names at OPEN, watches
// outboxes, validates each acknowledged file and moves it, exactly once,
// into an inbox, the Lost Pupil Database store or the sender's rejected
// folder, recording every step in the ledger. The rules it applies live in
// package routing; delivery is the I/O around them.
package delivery

import (
	"path/filepath"
	"time"

	"github.com/s2sd/s2sd/routing"
)

// Sender is who sent a file: a logged-in user, or a local process that
// dropped the file into a mailbox's outbox on disk.
type Sender struct {
	Login   string
	Mailbox string // the mailbox code; empty for an admin
	Role    routing.Role
	Remote  string
	// Forward marks a claimed Lost Pupil Database file an LA forwards: its
	// header still names the school that uploaded it.
	Forward bool
}

// LocalLogin is the login recorded for files dropped by local processes.
const LocalLogin = "local"

// Config configures delivery.
type Config struct {
	Data         string // the data directory: spool/ and lost/ live in it
	LANumbers    routing.LANumbers
	Limits       routing.Limits
	TempSuffixes []string
	Workers      int
	Now          func() time.Time
	Kick         func()  // wakes the mail worker after notices are enqueued; may be nil
	Metrics      Metrics // told each routing outcome; may be nil
}

// spoolRel returns the path, relative to the data directory, of a file in
// a mailbox folder.
func spoolRel(box, folder, name string) string {
	return filepath.Join("spool", box, folder, name)
}

// abs makes a data-relative path absolute.
func (c Config) abs(rel string) string { return filepath.Join(c.Data, rel) }

// localRole is the role whose rules apply to a file a local process
// drops into a mailbox of kind k.
func localRole(k routing.Kind) routing.Role {
	switch k {
	case routing.KindSchool:
		return routing.RoleSchool
	case routing.KindLA:
		return routing.RoleLAUser
	case routing.KindLAPlasc:
		return routing.RoleLAPlasc
	case routing.KindLAAdmissions:
		return routing.RoleLAAdmissions
	}
	return ""
}
