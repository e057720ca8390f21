package reports

import (
	"context"

	"github.com/s2sd/s2sd/ledger"
)

// usage is usage.csv: for each mailbox in scope, the CTFs it uploaded and
// the pupil records in them, and the CTFs sent to it: received, then
// downloaded, awaiting, rejected, withdrawn or expired.
func usage(ctx context.Context, s *Service, scope ledger.ReportScope, p Period) (Table, error) {
	us, err := s.ledger.ReportUsage(ctx, scope, p.span())
	if err != nil {
		return Table{}, err
	}
	t := Table{Columns: []string{"code", "name", "kind", "status", "ctfs_uploaded", "pupils_uploaded", "ctfs_received",
		"pupils_received", "downloaded", "awaiting", "rejected", "withdrawn", "expired"}}
	for _, u := range us {
		t.Rows = append(t.Rows, []any{u.Code, u.Name, u.Kind, u.Status, u.Uploaded, u.UploadedPupils, u.Received,
			u.ReceivedPupils, u.Downloaded, u.Awaiting, u.Rejected, u.Withdrawn, u.Expired})
	}
	return t, nil
}
