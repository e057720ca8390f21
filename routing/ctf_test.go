package routing

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testNow is the date the fixtures' ages are taken at.
var testNow = time.Date(2025, 7, 14, 9, 30, 0, 0, time.UTC)

func readFixture(t *testing.T, file string, opts CTFOptions) (*CTFInfo, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "ctf", file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return ReadCTF(f, opts)
}

func TestReadAndValidateCTF(t *testing.T) {
	las := testLAs(t)
	const (
		school        = "8231234_CTF_8239999_001.XML"
		notWellFormed = "the file is not well-formed XML"
		dtd           = "the file contains a DOCTYPE declaration (a DTD), which a CTF may not have: export it again from your MIS"
	)
	tests := []struct {
		file       string
		name       string
		admissions bool
		readErr    string
		pupils     int
		errs       []string
		warnings   []string
	}{
		{file: "valid_gender_v20.xml", name: school, pupils: 1},
		{file: "valid_sex_v25.xml", name: school, pupils: 1},
		{file: "several_pupils.xml", name: "8231234_CTF_8259999_002.XML", pupils: 3},
		{file: "lost_pupil.xml", name: "8231234_CTF_XXXXXXX_003.XML", pupils: 1},
		{file: "lost_left.xml", name: "8231234_ctf_mmmmmmm_004.xml", pupils: 1},
		{file: "la_to_school.xml", name: "823LLLL_CTF8231234_001.XML", pupils: 1},
		{file: "admissions_atfile.xml", name: "825ADMS_CTF_8251234_001.XML", admissions: true, pupils: 1},
		{file: "admissions_atfile.xml", name: "825ADMS_CTF_8251234_001.XML",
			readErr: "the root element is <ATfile>, not <CTfile>: this is not a Common Transfer File"},
		{file: "lost_pupil_two.xml", name: "8231234_CTF_XXXXXXX_005.XML", pupils: 2, errs: []string{
			"a file for the Lost Pupil Database must hold exactly one pupil, and this one holds 2: send one file per pupil",
		}},
		{file: "lost_pupil.xml", name: "8231234_CTF_MMMMMMM_006.XML", pupils: 1, errs: []string{
			"the Header's DestSchool (LEA XXX, Estab XXXX) does not match the file name's destination MMMMMMM: export the file again for the right destination",
		}},
		{file: "header_mismatch.xml", name: school, pupils: 1, errs: []string{
			"the Header's SourceSchool (LEA 823, Estab 0001) is not the sender 8231234: send only files exported by your own MIS",
			"the Header's DestSchool (LEA 825, Estab 9999) does not match the file name's destination 8239999: export the file again for the right destination",
		}},
		{file: "no_pupils.xml", name: school, errs: []string{
			"the file holds no pupils: a CTF must have at least one CTFpupilData/Pupil",
		}},
		{file: "bad_upn.xml", name: school, pupils: 5, errs: []string{
			"pupils 1 and 4: UPN check letter is wrong",
			"pupil 2: UPN must be 13 characters",
			"pupil 3: UPN is missing",
		}},
		{file: "bad_dob.xml", name: school, pupils: 5, errs: []string{
			"pupils 1 and 2: DOB is not a real date in the form YYYY-MM-DD",
			"pupils 3 and 4: DOB gives an age outside 2 to 25: check the date of birth",
			"pupil 5: DOB (date of birth) is missing",
		}},
		{file: "missing_fields.xml", name: school, pupils: 2, errs: []string{
			"pupil 1: Surname is missing",
			"pupil 1: Forename is missing",
			"pupil 1: Sex is missing",
			"pupil 2: Sex must be one of M, F, U, X, 9 or 0",
		}},
		{file: "quality_warnings.xml", name: school, pupils: 3, warnings: []string{
			"pupil 3: more than one UPN; the first is used",
			"pupil 1: Surname has leading or trailing spaces",
			"pupil 1: FormerUPN check letter is wrong",
			"pupil 2: Forename has double spaces",
			"pupil 2: the address has no postcode",
			"pupil 3: Gender is given, but a CTF of version 25 uses Sex",
		}},
		{file: "malformed.xml", name: school,
			readErr: notWellFormed + " (line 10: element <Surname> closed by </Forename>): export it again from your MIS"},
		{file: "truncated.xml", name: school,
			readErr: "the file ends in the middle of the XML (line 10): it may be incomplete; send it again"},
		{file: "bare_ampersand.xml", name: school,
			readErr: notWellFormed + " (line 8: an & that is not written as &amp;): export it again from your MIS"},
		{file: "billion_laughs.xml", name: school, readErr: dtd},
		{file: "external_entity.xml", name: school, readErr: dtd},
		{file: "wrong_root.xml", name: school,
			readErr: "the root element is <Workbook>, not <CTfile>: this is not a Common Transfer File"},
		{file: "latin1.xml", name: school,
			readErr: `the file declares the character encoding "ISO-8859-1": a CTF must be UTF-8; export it again from your MIS`},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.name, func(t *testing.T) {
			n, err := ParseName(tt.name, las)
			if err != nil {
				t.Fatal(err)
			}
			info, err := readFixture(t, tt.file, CTFOptions{Admissions: tt.admissions})
			if tt.readErr != "" {
				var ce *CTFError
				if !errors.As(err, &ce) || err.Error() != tt.readErr {
					t.Fatalf("ReadCTF error\n got %v\nwant %s", err, tt.readErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ReadCTF: %v", err)
			}
			if len(info.Pupils) != tt.pupils {
				t.Errorf("%d pupils, want %d", len(info.Pupils), tt.pupils)
			}
			v := ValidateCTF(info, n, n.Source, testNow)
			var got []string
			for _, e := range v.Errors {
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tt.errs) {
				t.Errorf("errors\n got %q\nwant %q", got, tt.errs)
			}
			if !reflect.DeepEqual(v.Warnings, tt.warnings) {
				t.Errorf("warnings\n got %q\nwant %q", v.Warnings, tt.warnings)
			}
			if v.OK() != (len(tt.errs) == 0) || (v.Err() == nil) != v.OK() {
				t.Errorf("OK() = %v, Err() = %v with %d errors", v.OK(), v.Err(), len(tt.errs))
			}
		})
	}
}

func TestReadCTFFields(t *testing.T) {
	tests := []struct {
		file    string
		version string
		header  [4]string
		pupils  []Pupil
	}{
		{"valid_gender_v20.xml", "20.0", [4]string{"823", "1234", "823", "9999"}, []Pupil{{
			UPN: "F823123414001", FormerUPN: "J823123414003", Surname: "Quillfeather", Forename: "Marigold",
			MiddleNames: "Juniper Wren", DOB: "2014-05-17", Gender: "M", Postcode: "ZZ99 3QX", Town: "Fernhollow",
		}}},
		{"valid_sex_v25.xml", "25.0", [4]string{"823", "1234", "823", "9999"}, []Pupil{{
			UPN: "V823123414002", Surname: "Brackenridge", Forename: "Tamsin", DOB: "2013-11-02", Sex: "F",
			Postcode: "ZZ99 4LP", Town: "Oakmere",
		}}},
		{"several_pupils.xml", "25.0", [4]string{"823", "1234", "825", "9999"}, []Pupil{
			{UPN: "F823123414001", Surname: "Quillfeather", Forename: "Marigold", DOB: "2014-05-17", Sex: "F",
				Postcode: "ZZ99 3QX", Town: "Fernhollow"},
			{UPN: "C82312341500A", Surname: "Hollowell", Forename: "Peregrine", DOB: "2012-01-31", Sex: "M",
				Postcode: "ZZ99 7TT"}, // AddressLines hold no Town element
			{UPN: "Y823123414004", Surname: "Ashdown-Pike", FormerSurname: "Pike", Forename: "Elowen",
				MiddleNames: "Clemency", DOB: "2015-09-01", Sex: "F", Postcode: "ZZ99 3QX", Town: "Fernhollow"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			info, err := readFixture(t, tt.file, CTFOptions{})
			if err != nil {
				t.Fatal(err)
			}
			header := [4]string{info.SourceLEA, info.SourceEstab, info.DestLEA, info.DestEstab}
			if info.Root != RootCTF || info.Version != tt.version || header != tt.header {
				t.Errorf("root %s, version %q, header %q", info.Root, info.Version, header)
			}
			if len(info.Pupils) != len(tt.pupils) {
				t.Fatalf("%d pupils, want %d", len(info.Pupils), len(tt.pupils))
			}
			for i := range tt.pupils {
				if info.Pupils[i] != tt.pupils[i] {
					t.Errorf("pupil %d\n got %#v\nwant %#v", i+1, fieldsOf(info.Pupils[i]), fieldsOf(tt.pupils[i]))
				}
			}
		})
	}
}

// fieldsOf shows a pupil's fields, which Pupil's own formatting hides.
func fieldsOf(p Pupil) []string {
	v := reflect.ValueOf(p)
	out := make([]string, v.NumField())
	for i := range out {
		out[i] = v.Type().Field(i).Name + "=" + v.Field(i).String()
	}
	return out
}

// No error or warning text repeats pupil data.
func TestCTFMessagesHoldNoPupilData(t *testing.T) {
	las := testLAs(t)
	files, err := filepath.Glob(filepath.Join("..", "testdata", "ctf", "*.xml"))
	if err != nil || len(files) < 20 {
		t.Fatalf("found %d fixtures: %v", len(files), err)
	}
	n, err := ParseName("8231234_CTF_XXXXXXX_001.XML", las) // lost: most rules apply
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		info, err := ReadCTF(strings.NewReader(string(raw)), CTFOptions{Admissions: true})
		var texts []string
		if err != nil {
			texts = append(texts, err.Error())
		} else {
			v := ValidateCTF(info, n, n.Source, testNow)
			texts = append(texts, v.Warnings...)
			for _, e := range v.Errors {
				texts = append(texts, e.Error())
			}
			texts = append(texts, fmt.Sprint(info), fmt.Sprintf("%+v %#v %s", info.Pupils, info.Pupils, info.Pupils))
		}
		for _, value := range pupilValues(string(raw)) {
			checked++
			for _, text := range texts {
				if strings.Contains(text, value) {
					t.Errorf("%s: %q repeats pupil data %q", filepath.Base(file), text, value)
				}
			}
		}
	}
	if checked < 100 {
		t.Errorf("checked only %d pupil values", checked)
	}
}

// pupilValues returns the text of the fixture's pupil elements that is
// long enough to identify.
func pupilValues(doc string) []string {
	var out []string
	for _, el := range []string{"UPN", "FormerUPN", "Surname", "FormerSurname", "Forename", "MiddleNames", "DOB", "PostCode", "Postcode", "Town"} {
		rest := doc
		for {
			i := strings.Index(rest, "<"+el+">")
			if i < 0 {
				break
			}
			rest = rest[i+len(el)+2:]
			if j := strings.IndexByte(rest, '<'); j >= 4 {
				out = append(out, strings.TrimSpace(rest[:j]))
			}
		}
	}
	return out
}
