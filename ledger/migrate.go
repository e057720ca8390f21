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
