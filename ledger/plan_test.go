package ledger

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// queryPlan returns SQLite's EXPLAIN QUERY PLAN of query, one line a step.
func queryPlan(t *testing.T, l *Ledger, query string, args ...any) string {
	t.Helper()
	rows, err := l.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, "\n")
}

// TestTransferLookupPlans checks that the lookups routing and LA copy
// removal make for every file seek an index instead of reading every
// transfer a mailbox ever had.
func TestTransferLookupPlans(t *testing.T) {
	l := openTest(t)
	for _, c := range []struct {
		query string
		args  []any
		want  string
	}{
		{waitingSQL, []any{"8232345", "8231234_CTF_8232345_001.XML"},
			"SEARCH transfers USING INDEX transfers_waiting (dest=? AND name=?)"},
		{mailboxWaitingSQL, []any{"8231234_CTF_8232345_001.XML", "8232345"},
			"SEARCH mailboxes USING INDEX sqlite_autoindex_mailboxes_1 (code=?)\n" +
				"CORRELATED SCALAR SUBQUERY 1\n" +
				"SEARCH transfers USING INDEX transfers_waiting (dest=? AND name=?)"},
		{copyRemovedSQL, []any{time.Now().UTC().Format(time.RFC3339), "823LLLL/copies/x.XML"},
			"SEARCH transfer_copies USING INDEX transfer_copies_path (path=?)"},
	} {
		if got := queryPlan(t, l, c.query, c.args...); got != c.want {
			t.Errorf("%s\nplan\n%s\nwant\n%s", c.query, got, c.want)
		}
	}
}

// MailboxWaiting answers as Mailbox and Waiting do, in one query.
func TestMailboxWaiting(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	if err := l.AddMailbox(ctx, Mailbox{Code: "8232345", Name: "Biggleswade", Kind: "school", LA: "823"}, now); err != nil {
		t.Fatal(err)
	}
	name := "8231234_CTF_8232345_001.XML"
	check := func(what, lookup string, want bool) {
		t.Helper()
		m, waiting, err := l.MailboxWaiting(ctx, "8232345", lookup)
		if err != nil || m.Code != "8232345" || m.Name != "Biggleswade" || waiting != want {
			t.Fatalf("%s: %+v, waiting %v, %v; want Biggleswade, waiting %v", what, m, waiting, err, want)
		}
		if w, err := l.Waiting(ctx, "8232345", lookup); err != nil || w != want {
			t.Fatalf("%s: Waiting says %v, %v", what, w, err)
		}
	}
	check("before any transfer", name, false)
	up, _, err := l.BeginUpload(ctx, Upload{Box: "8231234", Name: name, Login: "ampthill", ReceivedAt: now, Plan: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := l.FinishRouted(ctx, up.ID, Transfer{Name: name, Kind: "ctf", Sender: "8231234", Addressed: "8232345", Dest: "8232345",
		UploadedAt: now, Path: "spool/8232345/inbox/" + name}, nil, nil, Event{}, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	check("waiting", name, true)
	check("waiting, the name in another case", strings.ToLower(name), true)
	check("another name", "8231234_CTF_8232345_002.XML", false)
	if err := l.Exec(ctx, `UPDATE transfers SET removed_at = ? WHERE id = ?`, formatTime(now), id); err != nil {
		t.Fatal(err)
	}
	check("removed", name, false)
	if _, _, err := l.MailboxWaiting(ctx, "8239999", name); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown mailbox: %v, want ErrNotFound", err)
	}
}
