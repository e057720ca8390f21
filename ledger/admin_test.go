package ledger

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// adminFixture is two LAs: 823 with two schools (one closed) and its LA
// mailbox, and 824 with one school; a user in each mailbox.
func adminFixture(t *testing.T) *Ledger {
	t.Helper()
	l := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	for _, m := range []Mailbox{
		{Code: "8231234", Name: "Ampthill", Kind: "school", LA: "823"},
		{Code: "8232345", Name: "Biggleswade", Kind: "school", LA: "823", Status: StatusClosed},
		{Code: "823LLLL", Name: "Central Beds", Kind: "la", LA: "823"},
		{Code: "8241111", Name: "Elsewhere", Kind: "school", LA: "824"},
	} {
		if err := l.AddMailbox(ctx, m, now); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []User{
		{Login: "amp", Mailbox: "8231234", Role: "school", Email: "a@x.sch.uk", PasswordHash: "h"},
		{Login: "cbdba", Mailbox: "823LLLL", Role: "la-dba", Email: "d@x.gov.uk"},
		{Login: "cbuser", Mailbox: "823LLLL", Role: "la-user", Email: "u@x.gov.uk"},
		{Login: "other", Mailbox: "8241111", Role: "school", Email: "o@x.sch.uk"},
		{Login: "root", Role: "admin", Email: "r@x.gov.uk"},
	} {
		if _, err := l.AddUser(ctx, u, now); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func logins(us []User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Login)
	}
	return out
}

func TestLAUsersAndMailboxes(t *testing.T) {
	l := adminFixture(t)
	ctx := context.Background()
	us, err := l.LAUsers(ctx, "823")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := logins(us), []string{"amp", "cbdba", "cbuser"}; !slices.Equal(got, want) {
		t.Errorf("LAUsers(823) = %v, want %v", got, want)
	}
	ms, err := l.LAMailboxes(ctx, "823", "school")
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, m := range ms {
		codes = append(codes, m.Code)
	}
	if want := []string{"8231234", "8232345"}; !slices.Equal(codes, want) {
		t.Errorf("LAMailboxes(823, school) = %v, want %v", codes, want)
	}
}

func TestChangeLAUserStaysInLA(t *testing.T) {
	l := adminFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	ev := []Event{{At: at, Event: EventAdmin, Login: "cbdba", Object: "cbuser", Detail: "role"}}
	mail := Mail{CreatedAt: at, Kind: "new-user-password", To: []string{"u@x.gov.uk"}, Subject: "s", Body: "b", Scrub: true}
	if err := l.ChangeLAUser(ctx, "823", UserChange{Login: "CBUSER", Role: "la-school", PasswordHash: "new", MustChange: true}, ev, mail); err != nil {
		t.Fatal(err)
	}
	u, _ := l.User(ctx, "cbuser")
	if u.Role != "la-school" || u.Email != "u@x.gov.uk" || u.PasswordHash != "new" || !u.MustChange {
		t.Errorf("after the change: %+v", u)
	}
	if err := l.ChangeLAUser(ctx, "823", UserChange{Login: "cbuser", Email: "v@x.gov.uk"}, nil); err != nil {
		t.Fatal(err)
	}
	if u, _ = l.User(ctx, "cbuser"); u.Role != "la-school" || u.Email != "v@x.gov.uk" || u.PasswordHash != "new" || !u.MustChange {
		t.Errorf("after the email change: %+v", u)
	}
	// Another LA's user, and an admin, are out of reach and untouched.
	for _, login := range []string{"other", "root"} {
		if err := l.ChangeLAUser(ctx, "823", UserChange{Login: login, Role: "la-user"}, ev); !errors.Is(err, ErrNotFound) {
			t.Errorf("ChangeLAUser(%s) = %v, want ErrNotFound", login, err)
		}
		if err := l.DeleteLAUser(ctx, "823", login, ev); !errors.Is(err, ErrNotFound) {
			t.Errorf("DeleteLAUser(%s) = %v, want ErrNotFound", login, err)
		}
	}
	if err := l.DeleteLAUser(ctx, "823", "amp", ev); err != nil {
		t.Fatal(err)
	}
	if _, err := l.User(ctx, "amp"); !errors.Is(err, ErrNotFound) {
		t.Errorf("amp still exists: %v", err)
	}
	events, _ := l.AuditEvents(ctx, EventAdmin)
	if len(events) != 2 {
		t.Errorf("audit has %d admin events, want 2 (the role change and the deletion)", len(events))
	}
	mails, _ := l.db.QueryContext(ctx, `SELECT count(*) FROM mail_outbox`)
	defer mails.Close()
	var n int
	for mails.Next() {
		mails.Scan(&n)
	}
	if n != 1 {
		t.Errorf("%d mails queued, want 1", n)
	}
}

func TestSetLASchoolDetails(t *testing.T) {
	l := adminFixture(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	d := SchoolDetails{Code: "8231234", Name: "Ampthill Lower", Telephone: "01525 000000", Email: "office@amp.sch.uk", Town: "Ampthill"}
	if err := l.SetLASchoolDetails(ctx, "823", d, at, nil); err != nil {
		t.Fatal(err)
	}
	m, _ := l.Mailbox(ctx, "8231234")
	if m.Name != d.Name || m.Telephone != d.Telephone || m.Email != d.Email || m.Town != d.Town || !m.UpdatedAt.Equal(at) {
		t.Errorf("after the change: %+v", m)
	}
	for _, code := range []string{"8232345", "823LLLL", "8241111"} { // closed, not a school, another LA
		d.Code = code
		if err := l.SetLASchoolDetails(ctx, "823", d, at, nil); !errors.Is(err, ErrNotFound) {
			t.Errorf("SetLASchoolDetails(%s) = %v, want ErrNotFound", code, err)
		}
	}
}

func TestAdminResults(t *testing.T) {
	l := openTest(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	for _, r := range []AdminResult{
		{LA: "823", File: "users.result.txt", Body: []byte("first"), At: at},
		{LA: "823", File: "users.result.txt", Body: []byte("second"), At: at.Add(time.Minute)},
		{LA: "823", File: "schools.result.txt", Body: []byte("s"), At: at},
		{LA: "824", File: "users.result.txt", Body: []byte("other"), At: at},
	} {
		if err := l.SetAdminResult(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rs, err := l.AdminResults(ctx, "823")
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].File != "schools.result.txt" || rs[1].File != "users.result.txt" ||
		string(rs[1].Body) != "second" || !rs[1].At.Equal(at.Add(time.Minute)) {
		t.Errorf("AdminResults(823) = %+v", rs)
	}
	if err := l.DeleteAdminResult(ctx, "823", "users.result.txt"); err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteAdminResult(ctx, "823", "users.result.txt"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete = %v, want ErrNotFound", err)
	}
	if rs, _ := l.AdminResults(ctx, "824"); len(rs) != 1 {
		t.Errorf("LA 824's result went too: %+v", rs)
	}
}
