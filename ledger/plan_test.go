package ledger

import (
	"context"
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
		{copyRemovedSQL, []any{time.Now().UTC().Format(time.RFC3339), "823LLLL/copies/x.XML"},
			"SEARCH transfer_copies USING INDEX transfer_copies_path (path=?)"},
	} {
		if got := queryPlan(t, l, c.query, c.args...); got != c.want {
			t.Errorf("%s\nplan\n%s\nwant\n%s", c.query, got, c.want)
		}
	}
}
