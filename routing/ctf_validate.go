package routing

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Validation is the outcome of ValidateCTF. Its texts name pupils by their
// position in the file and never hold pupil data.
type Validation struct {
	Errors   []error  // every reason to reject the file
	Warnings []string // data-quality findings: the file is routed all the same
}

// OK reports whether the file passed: it has no errors.
func (v Validation) OK() bool { return len(v.Errors) == 0 }

// Err joins the errors into one, or returns nil if there are none.
func (v Validation) Err() error { return errors.Join(v.Errors...) }

// ValidateCTF checks a CTF's content against the rules of SPEC section 4
// and collects every failure, not just the first. n is the file's parsed
// name; sender is the mailbox the file is sent from, which is the name's
// source (also when an admin sends for it); now sets the date ages are
// taken at.
func ValidateCTF(info *CTFInfo, n Name, sender Code, now time.Time) Validation {
	return validateCTF(info, n, sender, now, true)
}

// ValidateForwardedCTF is ValidateCTF for a Lost Pupil Database file an
// LA forwards to a school: its header names the school that uploaded it
// and the Lost Pupil Database, so the header is not checked against the
// new name; the pupils are.
func ValidateForwardedCTF(info *CTFInfo, n Name, sender Code, now time.Time) Validation {
	return validateCTF(info, n, sender, now, false)
}

func validateCTF(info *CTFInfo, n Name, sender Code, now time.Time, header bool) Validation {
	var errs, warns findings
	if header {
		checkHeader(info, n, sender, &errs)
	}
	switch {
	case len(info.Pupils) == 0:
		errs.add("the file holds no pupils: a CTF must have at least one CTFpupilData/Pupil")
	case n.IsLost() && len(info.Pupils) > 1:
		errs.add("a file for the Lost Pupil Database must hold exactly one pupil, and this one holds %d: send one file per pupil", len(info.Pupils))
	}
	for i, p := range info.Pupils {
		checkPupil(i+1, p, info.Version, now, &errs, &warns)
	}
	v := Validation{Warnings: append(append([]string(nil), info.Warnings...), warns.lines()...)}
	for _, line := range errs.lines() {
		v.Errors = append(v.Errors, errors.New(line))
	}
	return v
}

// checkHeader checks that the Header's SourceSchool is the sender and its
// DestSchool the name's destination.
func checkHeader(info *CTFInfo, n Name, sender Code, errs *findings) {
	lea, estab := norm(info.SourceLEA), norm(info.SourceEstab)
	switch {
	case lea == "" || estab == "":
		errs.add("the Header's SourceSchool must give the sender's LEA and Estab: export the file again from your MIS")
	case !namesParty(lea, estab, sender):
		errs.add("the Header's SourceSchool%s is not the sender %s: send only files exported by your own MIS", shownLEA(lea, estab), sender)
	}
	lea, estab = norm(info.DestLEA), norm(info.DestEstab)
	switch {
	case lea == "" || estab == "":
		errs.add("the Header's DestSchool must give the LEA and Estab of the file name's destination %s", n.Dest)
	case !namesParty(lea, estab, n.Dest):
		errs.add("the Header's DestSchool%s does not match the file name's destination %s: export the file again for the right destination", shownLEA(lea, estab), n.Dest)
	}
}

// namesParty reports whether a header's LEA and Estab name the party c.
// An LA may write its Estab as LLLL, or as its code's own suffix.
func namesParty(lea, estab string, c Code) bool {
	switch c.Kind {
	case KindLostUnknown:
		return lea == "XXX" && estab == "XXXX"
	case KindLostLeft:
		return lea == "MMM" && estab == "MMMM"
	case KindSchool:
		return lea+estab == c.Value
	case KindLA, KindLAPlasc, KindLAAdmissions:
		return lea == c.LA && (estab == "LLLL" || estab == c.Value[3:])
	}
	return false
}

// shownLEA quotes a header's LEA and Estab when they look like codes, and
// shows nothing of them otherwise.
func shownLEA(lea, estab string) string {
	if len(lea) != 3 || len(estab) != 4 || !isNameText(lea+estab) {
		return ""
	}
	return " (LEA " + lea + ", Estab " + estab + ")"
}

// checkPupil checks the pupil at 1-based position pos.
func checkPupil(pos int, p Pupil, version string, now time.Time, errs, warns *findings) {
	switch upn := strings.TrimSpace(p.UPN); {
	case upn == "":
		errs.pupil(pos, "UPN is missing")
	case upnFault(upn) != "":
		errs.pupil(pos, "UPN "+upnFault(upn))
	}
	if norm(p.Surname) == "" {
		errs.pupil(pos, "Surname is missing")
	}
	if norm(p.Forename) == "" {
		errs.pupil(pos, "Forename is missing")
	}
	if fault := dobFault(p.DOB, now); fault != "" {
		errs.pupil(pos, fault)
	}
	checkSex(pos, p, version, errs, warns)

	for _, f := range []struct{ name, v string }{
		{"Surname", p.Surname}, {"Forename", p.Forename},
		{"MiddleNames", p.MiddleNames}, {"FormerSurname", p.FormerSurname},
	} {
		if f.v != strings.TrimSpace(f.v) {
			warns.pupil(pos, f.name+" has leading or trailing spaces")
		}
		if strings.Contains(f.v, "  ") {
			warns.pupil(pos, f.name+" has double spaces")
		}
	}
	if norm(p.Postcode) == "" {
		warns.pupil(pos, "the address has no postcode")
	}
	if former := strings.TrimSpace(p.FormerUPN); former != "" && upnFault(former) != "" {
		warns.pupil(pos, "FormerUPN "+upnFault(former))
	}
}

// dobFault says what is wrong with a date of birth, or returns "".
func dobFault(dob string, now time.Time) string {
	s := strings.TrimSpace(dob)
	if s == "" {
		return "DOB (date of birth) is missing"
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return "DOB is not a real date in the form YYYY-MM-DD"
	}
	if age := ageAt(d, now); age < 2 || age > 25 {
		return "DOB gives an age outside 2 to 25: check the date of birth"
	}
	return ""
}

// ageAt returns the age in whole years, on now's calendar date, of someone
// born on dob.
func ageAt(dob, now time.Time) int {
	y, m, d := now.Date()
	age := y - dob.Year()
	if m < dob.Month() || m == dob.Month() && d < dob.Day() {
		age--
	}
	return age
}

// checkSex checks Gender or Sex. CTF versions before 24 use Gender, later
// ones Sex; the other element is accepted with a warning.
func checkSex(pos int, p Pupil, version string, errs, warns *findings) {
	major, known := ctfMajor(version)
	want := "Sex"
	if known && major < 24 {
		want = "Gender"
	}
	gender, sex := norm(p.Gender), norm(p.Sex)
	field, v := want, sex
	if want == "Gender" {
		v = gender
	}
	if v == "" {
		field, v = "Sex", sex
		if v == "" {
			field, v = "Gender", gender
		}
	}
	switch {
	case v == "" && known:
		errs.pupil(pos, want+" is missing")
	case v == "":
		errs.pupil(pos, "Gender or Sex is missing")
	case !strings.Contains("MFUX90", v) || len(v) != 1:
		errs.pupil(pos, field+" must be one of M, F, U, X, 9 or 0")
	}
	if v != "" && known && field != want {
		warns.pupil(pos, field+" is given, but a CTF of version "+strconv.Itoa(major)+" uses "+want)
	}
}

// ctfMajor returns the major number of a CTF version such as "25.0".
func ctfMajor(version string) (int, bool) {
	s, _, _ := strings.Cut(strings.TrimSpace(version), ".")
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0
}

func norm(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }
