// Package ctftest generates valid Common Transfer Files for tests and
// benchmarks: invented pupils with correct UPN check letters.
package ctftest

import (
	"fmt"
	"strings"
)

const upnLetters = "ABCDEFGHJKLMNPQRTUVWXYZ"

// UPN returns a valid UPN whose 12 digits are LA (3) + estab (4) + serial.
func UPN(la, estab string, serial int) string {
	body := fmt.Sprintf("%s%s%05d", la, estab, serial%100000)
	sum := 0
	for i := 0; i < 12; i++ {
		sum += int(body[i]-'0') * (i + 2)
	}
	return string(upnLetters[sum%23]) + body
}

// Options shape a generated CTF.
type Options struct {
	SourceLEA, SourceEstab string
	DestLEA, DestEstab     string
	Pupils                 int
	Serial                 int    // first pupil serial, for distinct UPNs
	Surname                string // default "Testpupil"
	Pad                    int    // bytes of filler text to reach a size
}

// CTF returns a CTF (version 25, Sex) as XML text.
func CTF(o Options) string {
	if o.Pupils == 0 {
		o.Pupils = 1
	}
	if o.Surname == "" {
		o.Surname = "Testpupil"
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<CTfile>
  <Header>
    <DocumentName>Common Transfer File</DocumentName>
    <CTFversion>25.0</CTFversion>
    <DateTime>2026-07-14T10:32:05</DateTime>
    <DocumentQualifier>full</DocumentQualifier>
    <SupplierID>Invented MIS Ltd</SupplierID>
    <SourceSchool><LEA>%s</LEA><Estab>%s</Estab><SchoolName>Invented School</SchoolName><AcademicYear>2025</AcademicYear></SourceSchool>
    <DestSchool><LEA>%s</LEA><Estab>%s</Estab></DestSchool>
  </Header>
  <CTFpupilData>
`, o.SourceLEA, o.SourceEstab, o.DestLEA, o.DestEstab)
	la, estab := o.SourceLEA, o.SourceEstab
	if !digits(la) {
		la = "999"
	}
	if !digits(estab) {
		estab = "9999"
	}
	for i := 0; i < o.Pupils; i++ {
		fmt.Fprintf(&b, `    <Pupil>
      <UPN>%s</UPN>
      <Surname>%s</Surname>
      <Forename>Pupil%d</Forename>
      <DOB>2015-0%d-1%d</DOB>
      <Sex>%s</Sex>
      <Address><BS7666Address><PAON>1</PAON><Street>Invented Road</Street><Town>Fernhollow</Town></BS7666Address><PostCode>ZZ99 1AA</PostCode></Address>
    </Pupil>
`, UPN(la, estab, o.Serial+i), o.Surname, i, 1+i%9, i%10, []string{"M", "F"}[i%2])
	}
	b.WriteString("  </CTFpupilData>\n")
	if o.Pad > 0 {
		fmt.Fprintf(&b, "  <!-- %s -->\n", strings.Repeat("x", o.Pad))
	}
	b.WriteString("</CTfile>\n")
	return b.String()
}

// Between returns a one-pupil CTF from code src to code dst, e.g.
// Between("8231234", "8232345") or Between("8231234", "XXXXXXX").
func Between(src, dst string) string {
	return CTF(Options{SourceLEA: src[:3], SourceEstab: src[3:], DestLEA: dst[:3], DestEstab: dst[3:]})
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
