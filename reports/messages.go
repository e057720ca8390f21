package reports

import (
	"context"

	"github.com/s2sd/s2sd/ledger"
)

// messages is messages.csv: for each mailbox in scope that received
// secure messages sent in the period, how many it has read and how many
// wait unread (SPEC section 8), by LA. It holds no message's content,
// subject or sender.
func messages(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	ms, err := s.ledger.ReportMessages(ctx, scope, p.span())
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: []string{"la", "la_name", "code", "name", "received", "read", "unread", "oldest_unread"}}
	for _, m := range ms {
		t.Rows = append(t.Rows, []any{m.LA, m.LAName, m.Code, m.Name, m.Received, m.Read, m.Unread, stamp(m.OldestUnread)})
	}
	return t, nil
}
