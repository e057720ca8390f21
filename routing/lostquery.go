package routing

import (
	"fmt"
	"strings"
	"time"
	"unicode"
)

// LostQuery is a search of the Lost Pupil Database (SPEC section 7), as
// written in a search folder's name, e.g. "surname=jones,dob=2012-03-04".
type LostQuery struct {
	UPN      string // exact, upper case
	Surname  string // case-insensitive prefix
	Like     string // sound-alike surname: its Soundex code is matched
	Forename string // case-insensitive prefix
	DOB      string // YYYY-MM-DD
	Gender   string // M, F, U or X
	Town     string // case-insensitive, exact
	Sort     string // surname (default), forename, dob, uploaded or town
}

// LostQueryFields are the fields a search may use, in the order errors
// list them.
func LostQueryFields() []string {
	return []string{"upn", "surname", "like", "forename", "dob", "gender", "town", "sort"}
}

// LostSorts are the values sort may take.
func LostSorts() []string { return []string{"surname", "forename", "dob", "uploaded", "town"} }

const lostQueryExample = "e.g. surname=jones,dob=2012-03-04"

// ParseLostQuery parses a search folder name. It refuses unknown or
// repeated fields, empty or malformed values, and a search without upn,
// surname or like, which would list too much of the database.
func ParseLostQuery(s string) (LostQuery, error) {
	var q LostQuery
	if len(s) > 256 {
		return q, fmt.Errorf("the search is too long: use at most 256 characters, %s", lostQueryExample)
	}
	seen := map[string]bool{}
	for _, term := range strings.Split(s, ",") {
		field, value, ok := strings.Cut(term, "=")
		field, value = strings.ToLower(strings.TrimSpace(field)), strings.TrimSpace(value)
		if !ok || field == "" {
			return q, fmt.Errorf("%q is not a field=value term: write the search as field=value terms joined by commas, %s", term, lostQueryExample)
		}
		if seen[field] {
			return q, fmt.Errorf("the field %s is given twice: give each field once", field)
		}
		seen[field] = true
		if value == "" {
			return q, fmt.Errorf("the field %s has no value", field)
		}
		if err := q.set(field, value); err != nil {
			return q, err
		}
	}
	if q.UPN == "" && q.Surname == "" && q.Like == "" {
		return q, fmt.Errorf("a search needs upn, surname or like: add one of them, %s", lostQueryExample)
	}
	if q.Sort == "" {
		q.Sort = "surname"
	}
	return q, nil
}

func (q *LostQuery) set(field, value string) error {
	switch field {
	case "upn":
		u := strings.ToUpper(value)
		if len(u) != 13 || strings.IndexFunc(u, func(r rune) bool { return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z') }) >= 0 {
			return fmt.Errorf("upn %q must be 13 letters and digits", value)
		}
		q.UPN = u
	case "surname", "forename", "town", "like":
		if strings.IndexFunc(value, func(r rune) bool {
			return !(unicode.IsLetter(r) || r == ' ' || r == '-' || r == '\'' || r == '.')
		}) >= 0 || len(value) > 64 {
			return fmt.Errorf("%s %q may hold only letters, spaces, hyphens and apostrophes", field, value)
		}
		switch field {
		case "surname":
			q.Surname = value
		case "forename":
			q.Forename = value
		case "town":
			q.Town = value
		case "like":
			if q.Like = Soundex(value); q.Like == "" {
				return fmt.Errorf("like %q needs at least one letter", value)
			}
		}
	case "dob":
		if _, err := time.Parse("2006-01-02", value); err != nil {
			return fmt.Errorf("dob %q must be a date written YYYY-MM-DD, e.g. 2012-03-04", value)
		}
		q.DOB = value
	case "gender":
		g := strings.ToUpper(value)
		if g != "M" && g != "F" && g != "U" && g != "X" {
			return fmt.Errorf("gender %q must be M, F, U or X", value)
		}
		q.Gender = g
	case "sort":
		s := strings.ToLower(value)
		for _, v := range LostSorts() {
			if s == v {
				q.Sort = s
				return nil
			}
		}
		return fmt.Errorf("sort %q must be one of %s", value, strings.Join(LostSorts(), ", "))
	default:
		return fmt.Errorf("unknown search field %q: use %s, %s", field, strings.Join(LostQueryFields(), ", "), lostQueryExample)
	}
	return nil
}
