package routing

import (
	"strings"
	"testing"
)

func TestParseLostQuery(t *testing.T) {
	ok := map[string]LostQuery{
		"surname=jones,dob=2012-03-04":            {Surname: "jones", DOB: "2012-03-04", Sort: "surname"},
		"UPN=a123456789012":                       {UPN: "A123456789012", Sort: "surname"},
		"like=Robert,gender=m,sort=DOB":           {Like: "R163", Gender: "M", Sort: "dob"},
		" surname = O'Brien , forename=Mary Ann ": {Surname: "O'Brien", Forename: "Mary Ann", Sort: "surname"},
		"surname=smith,town=Milton Keynes":        {Surname: "smith", Town: "Milton Keynes", Sort: "surname"},
	}
	for in, want := range ok {
		got, err := ParseLostQuery(in)
		if err != nil || got != want {
			t.Errorf("ParseLostQuery(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"dob=2012-03-04":               "a search needs upn, surname or like: add one of them, e.g. surname=jones,dob=2012-03-04",
		"surname=jones,name=x":         `unknown search field "name": use upn, surname, like, forename, dob, gender, town, sort, e.g. surname=jones,dob=2012-03-04`,
		"surname=jones,surname=smith":  "the field surname is given twice: give each field once",
		"surname=":                     "the field surname has no value",
		"jones":                        `"jones" is not a field=value term: write the search as field=value terms joined by commas, e.g. surname=jones,dob=2012-03-04`,
		"surname=jones,dob=2012-02-30": `dob "2012-02-30" must be a date written YYYY-MM-DD, e.g. 2012-03-04`,
		"upn=123":                      `upn "123" must be 13 letters and digits`,
		"surname=jo%":                  `surname "jo%" may hold only letters, spaces, hyphens and apostrophes`,
		"surname=x,gender=Q":           `gender "Q" must be M, F, U or X`,
		"surname=x,sort=age":           `sort "age" must be one of surname, forename, dob, uploaded, town`,
		"like=--":                      `like "--" needs at least one letter`,
		"":                             `"" is not a field=value term: write the search as field=value terms joined by commas, e.g. surname=jones,dob=2012-03-04`,
		strings.Repeat("a", 300):       "the search is too long: use at most 256 characters, e.g. surname=jones,dob=2012-03-04",
	}
	for in, want := range bad {
		if _, err := ParseLostQuery(in); err == nil || err.Error() != want {
			t.Errorf("ParseLostQuery(%q) error %v, want %q", in, err, want)
		}
	}
}

func FuzzParseLostQuery(f *testing.F) {
	for _, s := range []string{"surname=jones,dob=2012-03-04", "upn=A123456789012", "like=tymczak,sort=uploaded", "x=y", ",,", "surname=é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseLostQuery(s)
		if err != nil {
			return
		}
		if q.UPN == "" && q.Surname == "" && q.Like == "" {
			t.Fatalf("%q parsed without a required term: %+v", s, q)
		}
		for _, v := range []string{q.Surname, q.Forename, q.Town} {
			if strings.ContainsAny(v, "%_/\\\x00") {
				t.Fatalf("%q let a wildcard or separator through: %+v", s, q)
			}
		}
	})
}
