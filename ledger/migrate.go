package ledger

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations are applied in order; migrations[i] takes the schema from
// version i to i+1. Never edit an applied migration: append a new one.
var migrations = [...]string{
	// 1: mailboxes, users, keys, audit log.
	`
CREATE TABLE mailboxes (
	code       TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('school','la','la-plasc','la-admissions')),
	la         TEXT NOT NULL,
	status     TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),
	successor  TEXT,
	email      TEXT NOT NULL DEFAULT '',
	telephone  TEXT NOT NULL DEFAULT '',
	town       TEXT NOT NULL DEFAULT '',
	postcode   TEXT NOT NULL DEFAULT '',
	copies     INTEGER NOT NULL DEFAULT 1,
	urn        TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE INDEX mailboxes_la ON mailboxes(la);
CREATE UNIQUE INDEX mailboxes_urn ON mailboxes(urn) WHERE urn IS NOT NULL;

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	login         TEXT NOT NULL UNIQUE COLLATE NOCASE,
	mailbox       TEXT REFERENCES mailboxes(code),
	role          TEXT NOT NULL,
	email         TEXT NOT NULL,
	password_hash TEXT NOT NULL DEFAULT '',
	must_change   INTEGER NOT NULL DEFAULT 0,
	failures      INTEGER NOT NULL DEFAULT 0,
	lockouts      INTEGER NOT NULL DEFAULT 0,
	locked_until  TEXT,
	last_login    TEXT,
	created_at    TEXT NOT NULL
);
CREATE INDEX users_mailbox ON users(mailbox);

CREATE TABLE user_keys (
	id          INTEGER PRIMARY KEY,
	user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	fingerprint TEXT NOT NULL,
	key         TEXT NOT NULL,
	comment     TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	UNIQUE (user_id, fingerprint)
);

CREATE TABLE audit (
	id      INTEGER PRIMARY KEY,
	at      TEXT NOT NULL,
	event   TEXT NOT NULL,
	login   TEXT NOT NULL DEFAULT '',
	mailbox TEXT NOT NULL DEFAULT '',
	remote  TEXT NOT NULL DEFAULT '',
	object  TEXT NOT NULL DEFAULT '',
	detail  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_at ON audit(at);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
	BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`,
	// 2: routing: the upload intent log, transfers, their events and LA
	// copies, and the Lost Pupil Database records.
	`
CREATE TABLE transfers (
	id            INTEGER PRIMARY KEY,
	name          TEXT NOT NULL,
	kind          TEXT NOT NULL,
	sender        TEXT NOT NULL,
	sender_la     TEXT NOT NULL,
	sender_login  TEXT NOT NULL,
	addressed     TEXT NOT NULL,
	dest          TEXT NOT NULL,
	dest_la       TEXT NOT NULL,
	size          INTEGER NOT NULL,
	sha256        TEXT NOT NULL,
	pupils        INTEGER NOT NULL,
	warnings      TEXT NOT NULL DEFAULT '',
	uploaded_at   TEXT NOT NULL,
	state         TEXT NOT NULL CHECK (state IN ('awaiting','collected','rejected','withdrawn','expired')),
	state_at      TEXT NOT NULL,
	state_by      TEXT NOT NULL,
	collected_at  TEXT,
	path          TEXT NOT NULL,
	removed_at    TEXT
);
CREATE INDEX transfers_dest ON transfers(dest, state);
CREATE INDEX transfers_sender ON transfers(sender, uploaded_at);
CREATE INDEX transfers_uploaded ON transfers(uploaded_at);
CREATE INDEX transfers_path ON transfers(path) WHERE removed_at IS NULL;

CREATE TABLE transfer_events (
	id          INTEGER PRIMARY KEY,
	transfer_id INTEGER NOT NULL REFERENCES transfers(id),
	at          TEXT NOT NULL,
	event       TEXT NOT NULL,
	login       TEXT NOT NULL DEFAULT '',
	remote      TEXT NOT NULL DEFAULT '',
	detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX transfer_events_transfer ON transfer_events(transfer_id);

CREATE TABLE transfer_copies (
	transfer_id INTEGER NOT NULL REFERENCES transfers(id),
	la_code     TEXT NOT NULL,
	path        TEXT NOT NULL,
	removed_at  TEXT,
	PRIMARY KEY (transfer_id, la_code)
);

CREATE TABLE uploads (
	id          INTEGER PRIMARY KEY,
	box         TEXT NOT NULL,
	name        TEXT NOT NULL,
	login       TEXT NOT NULL,
	remote      TEXT NOT NULL,
	size        INTEGER NOT NULL,
	sha256      TEXT NOT NULL,
	received_at TEXT NOT NULL,
	outcome     TEXT NOT NULL CHECK (outcome IN ('pending','routed','rejected')),
	plan        TEXT NOT NULL,
	reasons     TEXT NOT NULL DEFAULT '',
	transfer_id INTEGER REFERENCES transfers(id),
	done_at     TEXT
);
CREATE UNIQUE INDEX uploads_pending ON uploads(box, name) WHERE outcome = 'pending';
CREATE INDEX uploads_received ON uploads(received_at);

CREATE TABLE lost_pupils (
	id             INTEGER PRIMARY KEY,
	transfer_id    INTEGER NOT NULL REFERENCES transfers(id),
	upn            TEXT NOT NULL,
	former_upn     TEXT NOT NULL DEFAULT '',
	surname        TEXT NOT NULL,
	former_surname TEXT NOT NULL DEFAULT '',
	forename       TEXT NOT NULL,
	middle_names   TEXT NOT NULL DEFAULT '',
	dob            TEXT NOT NULL,
	gender         TEXT NOT NULL,
	town           TEXT NOT NULL DEFAULT '',
	postcode       TEXT NOT NULL DEFAULT '',
	la             TEXT NOT NULL,
	school         TEXT NOT NULL,
	school_name    TEXT NOT NULL DEFAULT '',
	uploaded_at    TEXT NOT NULL,
	via            TEXT NOT NULL CHECK (via IN ('XXXXXXX','MMMMMMM')),
	state          TEXT NOT NULL DEFAULT 'lost' CHECK (state IN ('lost','claimed','removed')),
	claimed_by     TEXT,
	claimed_at     TEXT,
	path           TEXT NOT NULL
);
CREATE INDEX lost_pupils_upn ON lost_pupils(upn);
CREATE INDEX lost_pupils_surname ON lost_pupils(surname COLLATE NOCASE, dob);
CREATE INDEX lost_pupils_la ON lost_pupils(la, uploaded_at);
`,
	// 3: the mail outbox. A row is written in the same transaction as the
	// event it tells of, and the mailer's worker delivers it.
	`
CREATE TABLE mail_outbox (
	id              INTEGER PRIMARY KEY,
	created_at      TEXT NOT NULL,
	kind            TEXT NOT NULL,
	to_addrs        TEXT NOT NULL CHECK (to_addrs <> ''),
	subject         TEXT NOT NULL,
	body            TEXT NOT NULL,
	scrub           INTEGER NOT NULL DEFAULT 0,
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at TEXT NOT NULL,
	last_attempt_at TEXT,
	last_error      TEXT NOT NULL DEFAULT '',
	state           TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','sent','failed')),
	sent_at         TEXT,
	failed_at       TEXT,
	dedupe          TEXT UNIQUE
);
CREATE INDEX mail_outbox_due ON mail_outbox(next_attempt_at) WHERE state = 'queued';
CREATE INDEX mail_outbox_state ON mail_outbox(state, created_at);
`,
	// 4: retention: when a rejected upload's files were deleted, and
	// the columns retention scans by.
	`
ALTER TABLE uploads ADD COLUMN cleaned_at TEXT;
CREATE INDEX uploads_rejected ON uploads(done_at) WHERE outcome = 'rejected' AND cleaned_at IS NULL;
CREATE INDEX transfers_state_uploaded ON transfers(state, uploaded_at) WHERE removed_at IS NULL;
CREATE INDEX transfers_collected ON transfers(collected_at) WHERE removed_at IS NULL;
CREATE INDEX lost_pupils_state ON lost_pupils(state, dob);
`,
	// 5: Lost Pupil Database search: the sound-alike surname, and the
	// indexes the search folders use.
	`
ALTER TABLE lost_pupils ADD COLUMN surname_soundex TEXT NOT NULL DEFAULT '';
CREATE INDEX lost_pupils_soundex ON lost_pupils(surname_soundex, dob);
CREATE INDEX lost_pupils_claimed ON lost_pupils(claimed_by, state);
`,
	// 6: reports: an LA's transfers by sender or destination LA and time,
	// rejected uploads by mailbox and time, and claims by LA and time.
	`
CREATE INDEX transfers_sender_la ON transfers(sender_la, uploaded_at);
CREATE INDEX transfers_dest_la ON transfers(dest_la, uploaded_at);
CREATE INDEX uploads_rejected_box ON uploads(box, received_at) WHERE outcome = 'rejected';
CREATE INDEX lost_pupils_claimed_at ON lost_pupils(claimed_by, claimed_at);
`,
	// 7: who sent each acknowledged file, written before the file enters
	// the outbox, so that routing after a crash still knows the sender.
	`
CREATE TABLE upload_senders (
	box    TEXT NOT NULL,
	name   TEXT NOT NULL,
	login  TEXT NOT NULL,
	role   TEXT NOT NULL,
	remote TEXT NOT NULL DEFAULT '',
	at     TEXT NOT NULL,
	PRIMARY KEY (box, name)
);
`,
	// 8: secure messages, their recipients, and each mailbox's message
	// groups and templates.
	`
CREATE TABLE messages (
	id          INTEGER PRIMARY KEY,
	kind        TEXT NOT NULL DEFAULT 'message' CHECK (kind IN ('message','returned')),
	sender      TEXT NOT NULL,
	login       TEXT NOT NULL,
	upload_name TEXT NOT NULL,
	to_line     TEXT NOT NULL,
	subject     TEXT NOT NULL,
	body        TEXT NOT NULL,
	sent_at     TEXT NOT NULL,
	sender_hidden INTEGER NOT NULL DEFAULT 0,
	outbox_hidden INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_sender ON messages(sender, sent_at);
CREATE INDEX messages_sent_at ON messages(sent_at);

CREATE TABLE message_recipients (
	message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
	mailbox    TEXT NOT NULL,
	la         TEXT NOT NULL,
	read_at    TEXT,
	deleted    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (message_id, mailbox)
);
CREATE INDEX message_recipients_mailbox ON message_recipients(mailbox, message_id);
CREATE INDEX message_recipients_la ON message_recipients(la, message_id);

CREATE TABLE message_files (
	mailbox    TEXT NOT NULL,
	kind       TEXT NOT NULL CHECK (kind IN ('group','template')),
	name       TEXT NOT NULL COLLATE NOCASE,
	body       TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (mailbox, kind, name)
);
`,
	// 9: the outcome of the last users.csv or schools.csv an LA uploaded into /admin/.
	`
CREATE TABLE admin_results (
	la   TEXT NOT NULL,
	file TEXT NOT NULL,
	body BLOB NOT NULL,
	at   TEXT NOT NULL,
	PRIMARY KEY (la, file)
);
`,
	// 10: a claimed Lost Pupil Database record, once forwarded to a school,
	// leaves the LA's claimed/ folder and cannot be forwarded again.
	`
ALTER TABLE lost_pupils ADD COLUMN forwarded_as TEXT;
ALTER TABLE lost_pupils ADD COLUMN forwarded_at TEXT;
`,
	// 11: routing asks, for every file, whether its name still waits at
	// its destination; transfers_dest made that a read of every transfer
	// the destination ever had. An LA deleting a copy looked its path up
	// with no index at all.
	`
CREATE INDEX transfers_waiting ON transfers(dest, name COLLATE NOCASE) WHERE removed_at IS NULL;
CREATE INDEX transfer_copies_path ON transfer_copies(path) WHERE removed_at IS NULL;
`,
	// 12: a sound-alike search without a date of birth read every
	// candidate (13,000 for Smith in a million records) to sort them by
	// name; in this order SQLite reads the first 200 and stops.
	`
CREATE INDEX lost_pupils_soundex_name ON lost_pupils(surname_soundex, surname COLLATE NOCASE, forename COLLATE NOCASE, dob, id);
`,
}

// migrate applies every migration newer than the database's user_version,
// each in its own transaction.
func (l *Ledger) migrate(ctx context.Context) error {
	v, err := l.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if v > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this s2sd knows (%d): run the newer binary", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		err := l.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
				return err
			}
			// PRAGMA takes no parameters; i+1 is our own integer.
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	return nil
}
