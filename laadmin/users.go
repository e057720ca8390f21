package laadmin

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/s2sd/s2sd/accounts"
	"github.com/s2sd/s2sd/auth"
	"github.com/s2sd/s2sd/internal/excelcsv"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// usersHeader are the columns of users.csv. locked and last_login are
// for reading: they are ignored in an upload. reset is empty when read;
// "yes" in an upload resets the password.
var usersHeader = []string{"login", "mailbox", "role", "email", "locked", "last_login", "reset"}

// Columns of users.csv.
const (
	colLogin = iota
	colMailbox
	colRole
	colEmail
	colLocked
	colLastLogin
	colReset
)

// usersCSV is users.csv: the users of every mailbox of the LA.
func (s *Service) usersCSV(ctx context.Context, la string) ([]byte, error) {
	users, err := s.ledger.LAUsers(ctx, la)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	rows := make([][]string, len(users))
	for i, u := range users {
		locked := "no"
		if u.Locked(now) {
			locked = "yes"
		}
		rows[i] = []string{u.Login, u.Mailbox, u.Role, u.Email, locked, ukTime(u.LastLogin), ""}
	}
	return excelcsv.WriteText(usersHeader, rows), nil
}

// userPlan is what a row of users.csv asks for, once checked.
type userPlan struct {
	row    row
	login  string
	create *ledger.User       // a new user
	change *ledger.UserChange // a change to an existing user
	reset  bool
	old    ledger.User
	out    outcome // the outcome if nothing is to be done
}

// applyUsers applies an uploaded users.csv to the LA la.
func (s *Service) applyUsers(ctx context.Context, who DBA, la string, data []byte) (*result, error) {
	rows, err := parseTable(UsersFile, data, usersHeader)
	if err != nil {
		return nil, err
	}
	current, err := s.ledger.LAUsers(ctx, la)
	if err != nil {
		return nil, err
	}
	byLogin := make(map[string]ledger.User, len(current))
	for _, u := range current {
		byLogin[strings.ToLower(u.Login)] = u
	}
	// Where each login appears: a login on two rows is refused on both,
	// and a login on any row, even a refused one, is not deleted.
	lines := map[string][]int{}
	for _, r := range rows {
		if r.first != "" {
			k := strings.ToLower(r.first)
			lines[k] = append(lines[k], r.line)
		}
	}

	var plans []userPlan
	for _, r := range rows {
		p := userPlan{row: r, login: r.first}
		if at := lines[strings.ToLower(r.first)]; len(at) > 1 {
			p.out = refused(r, fmt.Sprintf("login %s is on lines %s: give each user one row", r.first, joinInts(at)))
		} else {
			p = s.planUser(ctx, who, la, r, byLogin)
		}
		plans = append(plans, p)
	}

	// Users whose rows were removed are deleted, but for the DBA itself
	// and the LA's other DBAs, whom only the service operators remove.
	var deletions []outcome
	deleting := 0
	for _, u := range current {
		if lines[strings.ToLower(u.Login)] != nil {
			continue
		}
		o := outcome{key: u.Login}
		switch {
		case same(u.Login, who.Login):
			o.kind, o.text = outRefused, "refused: not deleted: you cannot delete your own login"
		case u.Role == string(routing.RoleLADBA):
			o.kind, o.text = outRefused, "refused: not deleted: LA database administrators (la-dba) are removed by the service operators; ask them"
		default:
			o.kind = outDeleted
			deleting++
		}
		deletions = append(deletions, o)
	}
	if deleting > 0 && (deleting*2 > len(current) || deleting == len(current)) {
		return nil, &FileError{File: UsersFile, Reason: fmt.Sprintf(
			"this file would delete %d of the %d users of LA %s; if you mean it, delete fewer at a time (at most half of them in one upload)",
			deleting, len(current), la)}
	}

	res := &result{}
	for _, p := range plans {
		res.add(s.applyUser(ctx, who, la, p))
	}
	for _, o := range deletions {
		if o.kind == outDeleted {
			o = s.deleteUser(ctx, who, la, byLogin[strings.ToLower(o.key)])
		}
		res.add(o)
	}
	return res, nil
}

// planUser checks one well-formed row against the LA's users.
func (s *Service) planUser(ctx context.Context, who DBA, la string, r row, byLogin map[string]ledger.User) userPlan {
	p := userPlan{row: r, login: r.first}
	if r.bad != "" {
		p.out = refused(r, r.bad)
		return p
	}
	c := r.cells
	login, mailbox, role, email, reset := c[colLogin], strings.ToUpper(c[colMailbox]), c[colRole], c[colEmail], c[colReset]
	if login == "" {
		p.out = refused(r, "the login is empty: give every row a login")
		return p
	}
	var wantReset bool
	switch strings.ToLower(reset) {
	case "", "no":
	case "yes":
		wantReset = true
	default:
		p.out = refused(r, fmt.Sprintf("reset must be yes or empty, not %q", reset))
		return p
	}

	old, exists := byLogin[strings.ToLower(login)]
	if !exists {
		u, why := s.checkNewUser(ctx, la, login, mailbox, role, email)
		if why != "" {
			p.out = refused(r, why)
			return p
		}
		p.create = &u
		return p
	}

	p.old = old
	if mailbox != old.Mailbox {
		if _, why := s.checkMailbox(ctx, la, mailbox); why != "" {
			p.out = refused(r, why)
		} else {
			p.out = refused(r, fmt.Sprintf("%s cannot move from %s to another mailbox: remove its row and add a new login in %s", old.Login, old.Mailbox, mailbox))
		}
		return p
	}
	ch := ledger.UserChange{Login: old.Login}
	roleChanged, emailChanged := !strings.EqualFold(role, old.Role), email != old.Email
	if !roleChanged && !emailChanged && !wantReset {
		p.out = outcome{line: r.line, key: old.Login, kind: outUnchanged, text: "unchanged"}
		return p
	}
	switch {
	case same(old.Login, who.Login):
		p.out = refused(r, "you cannot change your own login here: ask the service operators")
		return p
	case old.Role == string(routing.RoleLADBA):
		p.out = refused(r, fmt.Sprintf("%s is an LA database administrator (la-dba): only the service operators can change it", old.Login))
		return p
	}
	if roleChanged {
		rl, why := s.checkRole(ctx, role, mailbox)
		if why != "" {
			p.out = refused(r, why)
			return p
		}
		ch.Role = string(rl)
	}
	if emailChanged {
		if why := s.checkEmail(email); why != "" {
			p.out = refused(r, why)
			return p
		}
		ch.Email = email
	}
	p.change, p.reset = &ch, wantReset
	return p
}

// checkNewUser checks a row that adds a user.
func (s *Service) checkNewUser(ctx context.Context, la, login, mailbox, role, email string) (ledger.User, string) {
	if err := auth.ValidateLogin(login); err != nil {
		return ledger.User{}, err.Error()
	}
	if _, why := s.checkMailbox(ctx, la, mailbox); why != "" {
		return ledger.User{}, why
	}
	r, why := s.checkRole(ctx, role, mailbox)
	if why != "" {
		return ledger.User{}, why
	}
	if why := s.checkEmail(email); why != "" {
		return ledger.User{}, why
	}
	if _, err := s.ledger.User(ctx, login); err == nil {
		return ledger.User{}, fmt.Sprintf("login %s is taken; choose another", login)
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return ledger.User{}, "the login could not be checked; upload the file again"
	}
	return ledger.User{Login: login, Mailbox: mailbox, Role: string(r), Email: email, MustChange: true}, ""
}

// checkMailbox checks that code is an open mailbox of the LA.
func (s *Service) checkMailbox(ctx context.Context, la, code string) (ledger.Mailbox, string) {
	if code == "" {
		return ledger.Mailbox{}, "the mailbox is empty: give the code of one of your LA's mailboxes, e.g. " + la + "1234 or " + la + "LLLL"
	}
	c, err := routing.ParseCode(code, s.cfg.LANumbers)
	if err != nil || !c.Kind.HasMailbox() {
		if len(code) == 7 && code[:3] != la {
			return ledger.Mailbox{}, fmt.Sprintf("%s is not in your LA (%s)", code, la)
		}
		return ledger.Mailbox{}, fmt.Sprintf("mailbox %q is not a school (%sSSSS) or LA (%sLLLL, %sPLAS, %sADMS) code", code, la, la, la, la)
	}
	if c.LA != la {
		return ledger.Mailbox{}, fmt.Sprintf("%s is not in your LA (%s)", c.Value, la)
	}
	m, err := s.ledger.Mailbox(ctx, c.Value)
	if errors.Is(err, ledger.ErrNotFound) {
		return ledger.Mailbox{}, fmt.Sprintf("mailbox %s does not exist: the service operators add schools from the register; contact them", c.Value)
	} else if err != nil {
		return ledger.Mailbox{}, "the mailbox could not be checked; upload the file again"
	}
	if m.Status != ledger.StatusOpen {
		if m.Successor != "" {
			return ledger.Mailbox{}, fmt.Sprintf("mailbox %s is closed: use its successor %s", m.Code, m.Successor)
		}
		return ledger.Mailbox{}, fmt.Sprintf("mailbox %s is closed", m.Code)
	}
	return m, ""
}

// checkRole checks that a DBA may give role to a user of mailbox code (a
// mailbox of the LA), and returns it.
func (s *Service) checkRole(ctx context.Context, role, code string) (routing.Role, string) {
	m, err := s.ledger.Mailbox(ctx, code)
	if err != nil {
		return "", "the mailbox could not be checked; upload the file again"
	}
	kind := routing.Kind(m.Kind)
	fit := grantable(kind)
	if role == "" {
		return "", fmt.Sprintf("the role is empty: give one of %s", strings.Join(fit, ", "))
	}
	r, err := routing.ParseRole(role)
	switch {
	case err != nil:
		return "", fmt.Sprintf("unknown role %q: for %s give one of %s", role, m.Code, strings.Join(fit, ", "))
	case r == routing.RoleAdmin:
		return "", "only the service operators can make admins"
	case r == routing.RoleLADBA:
		return "", "only the service operators appoint LA database administrators (la-dba); ask them"
	case r.MailboxKind() != kind:
		return "", fmt.Sprintf("role %s does not fit %s, which is %s: give one of %s", r, m.Code, describeKind(kind), strings.Join(fit, ", "))
	}
	return r, ""
}

// grantable lists the roles a DBA may give in a mailbox of kind k.
func grantable(k routing.Kind) []string {
	var out []string
	for _, r := range accounts.RolesFor(k) {
		if r != string(routing.RoleLADBA) {
			out = append(out, r)
		}
	}
	return out
}

// describeKind names a kind of mailbox for people.
func describeKind(k routing.Kind) string {
	switch k {
	case routing.KindSchool:
		return "a school mailbox"
	case routing.KindLA:
		return "the LA's mailbox"
	case routing.KindLAPlasc:
		return "the LA's census mailbox"
	case routing.KindLAAdmissions:
		return "the LA's admissions mailbox"
	}
	return "a " + string(k) + " mailbox"
}

// checkEmail checks a user's or a school's work address.
func (s *Service) checkEmail(email string) string {
	if email == "" {
		return "the email is empty: give a work address"
	}
	if err := auth.ValidateEmail(email, s.cfg.PersonalDomains); err != nil {
		return err.Error()
	}
	return ""
}

// applyUser carries out a plan.
func (s *Service) applyUser(ctx context.Context, who DBA, la string, p userPlan) outcome {
	switch {
	case p.create != nil:
		return s.createUser(ctx, who, p)
	case p.change != nil:
		return s.changeUser(ctx, who, la, p)
	}
	return p.out
}

func (s *Service) createUser(ctx context.Context, who DBA, p userPlan) outcome {
	u := *p.create
	o := outcome{line: p.row.line, key: u.Login}
	pw, hash, err := s.temporaryPassword(ctx)
	if err != nil {
		return s.failed(o, err)
	}
	u.PasswordHash = hash
	now := s.cfg.Now()
	ev := s.audit(who, now, u.Mailbox, u.Login, "user add role="+u.Role+" mailbox="+u.Mailbox+" password=temporary via=/admin/users.csv")
	_, err = s.ledger.AddUserAudited(ctx, u, now, []ledger.Event{ev}, accounts.Notices(ctx, s.ledger, s.cfg.Listen, u, pw, false, now)...)
	if errors.Is(err, ledger.ErrExists) {
		return refused(p.row, fmt.Sprintf("login %s is taken; choose another", u.Login))
	} else if err != nil {
		return s.failed(o, err)
	}
	o.kind = outCreated
	o.text = fmt.Sprintf("created as %s in %s; its username and temporary password were emailed separately to %s", u.Role, u.Mailbox, u.Email)
	return o
}

func (s *Service) changeUser(ctx context.Context, who DBA, la string, p userPlan) outcome {
	ch, old := *p.change, p.old
	o := outcome{line: p.row.line, key: old.Login}
	var what, audit []string
	if ch.Role != "" {
		what = append(what, fmt.Sprintf("role changed from %s to %s", old.Role, ch.Role))
		audit = append(audit, "role="+old.Role+"->"+ch.Role)
	}
	if ch.Email != "" {
		what = append(what, fmt.Sprintf("email changed to %s", ch.Email))
		audit = append(audit, "email="+ch.Email)
	}
	now := s.cfg.Now()
	var mails []ledger.Mail
	if p.reset {
		pw, hash, err := s.temporaryPassword(ctx)
		if err != nil {
			return s.failed(o, err)
		}
		ch.PasswordHash, ch.MustChange = hash, true
		u := old
		if ch.Email != "" {
			u.Email = ch.Email
		}
		if ch.Role != "" {
			u.Role = ch.Role
		}
		mails = accounts.Notices(ctx, s.ledger, s.cfg.Listen, u, pw, true, now)
		what = append(what, fmt.Sprintf("password reset; the username and temporary password were emailed separately to %s", u.Email))
		audit = append(audit, "password=temporary")
	}
	ev := s.audit(who, now, old.Mailbox, old.Login, "user change "+strings.Join(audit, " ")+" via=/admin/users.csv")
	err := s.ledger.ChangeLAUser(ctx, la, ch, []ledger.Event{ev}, mails...)
	if errors.Is(err, ledger.ErrNotFound) {
		return refused(p.row, fmt.Sprintf("%s is no longer a user of your LA", old.Login))
	} else if err != nil {
		return s.failed(o, err)
	}
	o.kind, o.text = outChanged, strings.Join(what, "; ")
	return o
}

func (s *Service) deleteUser(ctx context.Context, who DBA, la string, u ledger.User) outcome {
	o := outcome{key: u.Login}
	ev := s.audit(who, s.cfg.Now(), u.Mailbox, u.Login, "user del role="+u.Role+" via=/admin/users.csv")
	err := s.ledger.DeleteLAUser(ctx, la, u.Login, []ledger.Event{ev})
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		o.kind, o.text = outUnchanged, "unchanged: already deleted"
	case err != nil:
		return s.failed(o, err)
	default:
		o.kind, o.text = outDeleted, fmt.Sprintf("deleted (was %s in %s)", u.Role, u.Mailbox)
	}
	return o
}

// temporaryPassword makes a temporary password and its hash.
func (s *Service) temporaryPassword(ctx context.Context) (pw, hash string, err error) {
	if pw, err = auth.TemporaryPassword(); err != nil {
		return "", "", err
	}
	hash, err = s.hasher.Hash(ctx, pw)
	return pw, hash, err
}

// failed logs a change the ledger could not make.
func (s *Service) failed(o outcome, err error) outcome {
	s.log.Error().Err(err).Str("object", o.key).Msg("an /admin/ change failed")
	o.kind, o.text = outFailed, "failed: the change could not be made; upload the file again"
	return o
}

func refused(r row, why string) outcome {
	return outcome{line: r.line, key: r.first, kind: outRefused, text: "refused: " + why}
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	if len(s) <= 2 {
		return strings.Join(s, " and ")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}
