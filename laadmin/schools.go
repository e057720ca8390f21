package laadmin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/s2sd/s2sd/internal/excelcsv"
	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
)

// schoolsHeader are the columns of schools.csv. code is the key: it
// cannot be changed.
var schoolsHeader = []string{"code", "name", "telephone", "email", "town"}

// schoolsCSV is schools.csv: the LA's open schools.
func (s *Service) schoolsCSV(ctx context.Context, la string) ([]byte, error) {
	schools, err := s.openSchools(ctx, la)
	if err != nil {
		return nil, err
	}
	rows := make([][]string, len(schools))
	for i, m := range schools {
		rows[i] = []string{m.Code, m.Name, m.Telephone, m.Email, m.Town}
	}
	return excelcsv.WriteText(schoolsHeader, rows), nil
}

func (s *Service) openSchools(ctx context.Context, la string) ([]ledger.Mailbox, error) {
	all, err := s.ledger.LAMailboxes(ctx, la, string(routing.KindSchool))
	if err != nil {
		return nil, err
	}
	var open []ledger.Mailbox
	for _, m := range all {
		if m.Status == ledger.StatusOpen {
			open = append(open, m)
		}
	}
	return open, nil
}

// applySchools applies an uploaded schools.csv to the LA la.
func (s *Service) applySchools(ctx context.Context, who DBA, la string, data []byte) (*result, error) {
	rows, err := parseTable(SchoolsFile, data, schoolsHeader)
	if err != nil {
		return nil, err
	}
	schools, err := s.openSchools(ctx, la)
	if err != nil {
		return nil, err
	}
	byCode := make(map[string]ledger.Mailbox, len(schools))
	for _, m := range schools {
		byCode[m.Code] = m
	}
	lines := map[string][]int{}
	for _, r := range rows {
		if r.first != "" {
			k := strings.ToUpper(r.first)
			lines[k] = append(lines[k], r.line)
		}
	}
	res := &result{}
	for _, r := range rows {
		if at := lines[strings.ToUpper(r.first)]; len(at) > 1 {
			res.add(refused(r, fmt.Sprintf("school %s is on lines %s: give each school one row", r.first, joinInts(at))))
			continue
		}
		res.add(s.applySchool(ctx, who, la, r, byCode))
	}
	for _, m := range schools {
		if lines[m.Code] == nil {
			res.add(outcome{key: m.Code, kind: outUnchanged, text: "unchanged (schools cannot be removed here; ask the service operators to close one)"})
		}
	}
	return res, nil
}

// applySchool checks and applies one row of schools.csv.
func (s *Service) applySchool(ctx context.Context, who DBA, la string, r row, byCode map[string]ledger.Mailbox) outcome {
	if r.bad != "" {
		return refused(r, r.bad)
	}
	c := r.cells
	code := strings.ToUpper(c[0])
	d := ledger.SchoolDetails{Code: code, Name: c[1], Telephone: c[2], Email: c[3], Town: c[4]}
	old, ok := byCode[code]
	if !ok {
		return refused(r, s.whyNotSchool(ctx, la, code))
	}
	if d.Telephone != old.Telephone && "0"+d.Telephone == old.Telephone {
		d.Telephone = old.Telephone // Excel read it as a number and dropped its leading 0
	}
	var changed []string
	if d.Name != old.Name {
		if why := checkText("name", d.Name, 200, true); why != "" {
			return refused(r, why)
		}
		changed = append(changed, fmt.Sprintf("name=%q", d.Name))
	}
	if d.Telephone != old.Telephone {
		if why := checkTelephone(d.Telephone); why != "" {
			return refused(r, why)
		}
		changed = append(changed, fmt.Sprintf("telephone=%q", d.Telephone))
	}
	if d.Email != old.Email {
		if why := s.checkEmail(d.Email); why != "" {
			return refused(r, why)
		}
		changed = append(changed, fmt.Sprintf("email=%q", d.Email))
	}
	if d.Town != old.Town {
		if why := checkText("town", d.Town, 100, false); why != "" {
			return refused(r, why)
		}
		changed = append(changed, fmt.Sprintf("town=%q", d.Town))
	}
	o := outcome{line: r.line, key: code}
	if len(changed) == 0 {
		o.kind, o.text = outUnchanged, "unchanged"
		return o
	}
	now := s.cfg.Now()
	ev := s.audit(who, now, code, code, "school change "+strings.Join(changed, " ")+" via=/admin/schools.csv")
	err := s.ledger.SetLASchoolDetails(ctx, la, d, now, []ledger.Event{ev})
	if errors.Is(err, ledger.ErrNotFound) {
		return refused(r, fmt.Sprintf("school %s is no longer an open school of your LA", code))
	} else if err != nil {
		return s.failed(o, err)
	}
	o.kind, o.text = outChanged, "updated "+strings.Join(changed, ", ")
	return o
}

// whyNotSchool says why code is not one of the LA's open schools.
func (s *Service) whyNotSchool(ctx context.Context, la, code string) string {
	const add = "schools are added by the service operators from the register; contact them"
	if code == "" {
		return "the code is empty: give the school's DfE number, e.g. " + la + "1234"
	}
	c, err := routing.ParseCode(code, s.cfg.LANumbers)
	if err != nil || !c.Kind.HasMailbox() {
		if len(code) == 7 && code[:3] != la {
			return fmt.Sprintf("%s is not in your LA (%s)", code, la)
		}
		return fmt.Sprintf("code %q is not a school's DfE number (%sSSSS)", code, la)
	}
	if c.LA != la {
		return fmt.Sprintf("%s is not in your LA (%s)", c.Value, la)
	}
	if c.Kind != routing.KindSchool {
		return fmt.Sprintf("%s is not a school: only schools' details are kept here", c.Value)
	}
	m, err := s.ledger.Mailbox(ctx, c.Value)
	if err == nil && m.Status != ledger.StatusOpen {
		return fmt.Sprintf("school %s is closed: its details cannot be changed", c.Value)
	}
	return fmt.Sprintf("%s is not one of your schools: %s", c.Value, add)
}

// checkText checks a one-line text field.
func checkText(field, v string, max int, required bool) string {
	switch {
	case required && v == "":
		return fmt.Sprintf("the %s is empty", field)
	case len([]rune(v)) > max:
		return fmt.Sprintf("the %s is longer than %d characters", field, max)
	case strings.IndexFunc(v, unicode.IsControl) >= 0:
		return fmt.Sprintf("the %s may not hold line breaks, tabs or other control characters", field)
	}
	return ""
}

// checkTelephone checks a telephone number: digits, spaces, and + ( ) -.
func checkTelephone(v string) string {
	if len(v) > 30 {
		return "the telephone number is longer than 30 characters"
	}
	for _, r := range v {
		if !unicode.IsDigit(r) && !strings.ContainsRune(" +()-", r) || r > unicode.MaxASCII {
			return fmt.Sprintf("telephone %q may hold only digits, spaces and + ( ) -", v)
		}
	}
	return ""
}
