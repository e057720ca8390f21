package routing

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

func TestDOBFault(t *testing.T) {
	now := time.Date(2025, 7, 14, 23, 59, 0, 0, time.UTC)
	const outside = "DOB gives an age outside 2 to 25: check the date of birth"
	const notDate = "DOB is not a real date in the form YYYY-MM-DD"
	tests := []struct{ dob, want string }{
		{"2023-07-14", ""},      // 2 today
		{"2023-07-15", outside}, // 2 tomorrow
		{"1999-07-15", ""},      // 25, 26 tomorrow
		{"1999-07-14", outside}, // 26 today
		{"2012-02-29", ""},
		{" 2012-03-04 ", ""},
		{"2013-02-29", notDate},
		{"2012-13-01", notDate},
		{"2012-3-04", notDate},
		{"04/03/2012", notDate},
		{"2012-03-04T00:00:00", notDate},
		{"2030-01-01", outside},
		{"", "DOB (date of birth) is missing"},
	}
	for _, tt := range tests {
		if got := dobFault(tt.dob, now); got != tt.want {
			t.Errorf("dobFault(%q) = %q, want %q", tt.dob, got, tt.want)
		}
	}
}

func TestCheckSex(t *testing.T) {
	tests := []struct {
		version, gender, sex string
		errs, warnings       []string
	}{
		{"20.0", "M", "", nil, nil},
		{"25.0", "", "f", nil, nil},
		{"24.0", "", "9", nil, nil},
		{"", "U", "", nil, nil},
		{"", "", "X", nil, nil},
		{"20.0", "", "F", nil, []string{"pupil 1: Sex is given, but a CTF of version 20 uses Gender"}},
		{"24.1", "M", "", nil, []string{"pupil 1: Gender is given, but a CTF of version 24 uses Sex"}},
		{"20.0", "M", "Q", nil, nil}, // only the version's element is read when both are there
		{"20.0", "", "", []string{"pupil 1: Gender is missing"}, nil},
		{"25.0", "", "", []string{"pupil 1: Sex is missing"}, nil},
		{"draft", "", " ", []string{"pupil 1: Gender or Sex is missing"}, nil},
		{"25.0", "", "Female", []string{"pupil 1: Sex must be one of M, F, U, X, 9 or 0"}, nil},
		{"20.0", "MF", "", []string{"pupil 1: Gender must be one of M, F, U, X, 9 or 0"}, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%q/%q", tt.version, tt.gender, tt.sex), func(t *testing.T) {
			var errs, warns findings
			checkSex(1, Pupil{Gender: tt.gender, Sex: tt.sex}, tt.version, &errs, &warns)
			if got := errs.lines(); !reflect.DeepEqual(got, tt.errs) && len(got)+len(tt.errs) > 0 {
				t.Errorf("errors %q, want %q", got, tt.errs)
			}
			if got := warns.lines(); !reflect.DeepEqual(got, tt.warnings) && len(got)+len(tt.warnings) > 0 {
				t.Errorf("warnings %q, want %q", got, tt.warnings)
			}
		})
	}
}

func TestValidateCTFHeaderParties(t *testing.T) {
	las := testLAs(t)
	pupil := Pupil{UPN: "F823123414001", Surname: "Quillfeather", Forename: "Marigold", DOB: "2014-05-17", Sex: "F", Postcode: "ZZ99 3QX"}
	tests := []struct {
		name, sender string
		header       [4]string // source LEA, Estab, dest LEA, Estab
		want         []string
	}{
		{"823LLLL_CTF_8231234_001.XML", "823LLLL", [4]string{"823", "LLLL", "823", "1234"}, nil},
		{"823LLLL_CTF_8231234_001.XML", "823LLLL", [4]string{" 823 ", "llll", "823", "1234"}, nil},
		{"823PLAS_CTF_8231234_001.XML", "823PLAS", [4]string{"823", "PLAS", "823", "1234"}, nil},
		{"823PLAS_CTF_8231234_001.XML", "823PLAS", [4]string{"823", "LLLL", "823", "1234"}, nil},
		{"8231234_CTF_825ADMS_001.XML", "8231234", [4]string{"823", "1234", "825", "ADMS"}, nil},
		{"8231234_CTF_825ADMS_001.XML", "8231234", [4]string{"823", "1234", "825", "LLLL"}, nil},
		{"823LLLL_CTF_8231234_001.XML", "823LLLL", [4]string{"823", "1234", "823", "1234"}, []string{
			"the Header's SourceSchool (LEA 823, Estab 1234) is not the sender 823LLLL: send only files exported by your own MIS"}},
		{"823PLAS_CTF_8231234_001.XML", "823PLAS", [4]string{"823", "ADMS", "823", "1234"}, []string{
			"the Header's SourceSchool (LEA 823, Estab ADMS) is not the sender 823PLAS: send only files exported by your own MIS"}},
		{"8231234_CTF_8239999_001.XML", "8231234", [4]string{"", "1234", "823", ""}, []string{
			"the Header's SourceSchool must give the sender's LEA and Estab: export the file again from your MIS",
			"the Header's DestSchool must give the LEA and Estab of the file name's destination 8239999"}},
		{"8231234_CTF_8239999_001.XML", "8231234", [4]string{"823", "1234 and then some", "823", "9999"}, []string{
			"the Header's SourceSchool is not the sender 8231234: send only files exported by your own MIS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name+fmt.Sprint(tt.header), func(t *testing.T) {
			n, err := ParseName(tt.name, las)
			if err != nil {
				t.Fatal(err)
			}
			sender, err := ParseCode(tt.sender, las)
			if err != nil {
				t.Fatal(err)
			}
			h := tt.header
			info := &CTFInfo{SourceLEA: h[0], SourceEstab: h[1], DestLEA: h[2], DestEstab: h[3], Pupils: []Pupil{pupil}, Version: "25.0"}
			v := ValidateCTF(info, n, sender, testNow)
			var got []string
			for _, e := range v.Errors {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors\n got %q\nwant %q", got, tt.want)
			}
			if len(v.Warnings) != 0 {
				t.Errorf("warnings %q", v.Warnings)
			}
		})
	}
}

func TestFindingsGroupPupils(t *testing.T) {
	var f findings
	f.add("the file is odd")
	for i := 1; i <= 14; i++ {
		f.pupil(i, "UPN is missing")
	}
	f.pupil(2, "Surname is missing")
	f.pupil(9, "Surname is missing")
	f.pupil(3, "Forename is missing")
	want := []string{
		"the file is odd",
		"pupils 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 4 more: UPN is missing",
		"pupils 2 and 9: Surname is missing",
		"pupil 3: Forename is missing",
	}
	if got := f.lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("lines\n got %q\nwant %q", got, want)
	}
	f = findings{}
	for _, i := range []int{4, 5, 6} {
		f.pupil(i, "DOB is missing")
	}
	if got := f.lines(); !reflect.DeepEqual(got, []string{"pupils 4, 5 and 6: DOB is missing"}) {
		t.Errorf("lines %q", got)
	}
}
