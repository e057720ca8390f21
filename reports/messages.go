package reports

import (
	"context"

	"github.com/s2sd/s2sd/ledger"
)

// messages is messages.csv: the secure messages sent within the LA, read
// or unread, without their content or sender (SPEC section 8). Secure
// messages do not exist yet: the report is its header row alone until
// issue 8 adds them to the ledger and fills it.
func messages(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	return Table{Columns: []string{"sent", "to", "to_name", "read", "read_on"}}, nil
}
