package mailer

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s2sd/s2sd/routing"
)

var update = flag.Bool("update", false, "rewrite the golden notices in testdata/notices")

var (
	ampthill = Party{"8231234", "Ampthill Lower School"}
	redborne = Party{"8239999", "Redborne Upper School"}
	closed   = Party{"8230001", "Old Priory Academy"}
	bedford  = Party{"823LLLL", "Bedford Borough Council"}
	lostDB   = Party{"XXXXXXX", "Lost Pupil Database"}

	t0 = time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC)
)

// noticeInputs are the facts the notices are made of; reasons and warnings
// come from the validator, and the test of pupil data feeds it the CTF
// fixtures.
type noticeInputs struct {
	reasons  []string
	warnings []string
}

// sampleNotices returns one of every notice, each with a distinct subject.
func sampleNotices(in noticeInputs) []Message {
	name := "8231234_CTF_8239999_001.XML"
	waiting := []WaitingFile{
		{Name: "8259999_CTF_8231234_004.XML", From: Party{"8259999", "Oakbank School"}, To: ampthill, Uploaded: t0.AddDate(0, 0, -9)},
		{Name: "825LLLL_8231234_SEN-NOTES.ZIP", From: Party{"825LLLL", "Central Bedfordshire Council"}, To: ampthill, Uploaded: t0.AddDate(0, 0, -2)},
	}
	return []Message{
		FileWaiting(FileWaitingNotice{
			To: []string{"office@redborne.beds.sch.uk", "exams@redborne.beds.sch.uk", "Office@Redborne.beds.sch.uk"}, Recipient: redborne,
			Sender: ampthill, FileName: name, Uploaded: t0, Expires: t0.AddDate(0, 2, 0),
		}),
		FileWaiting(FileWaitingNotice{
			To: []string{"office@redborne.beds.sch.uk"}, Recipient: redborne, Sender: Party{"8250001", "Lark Rise Lower School"},
			Addressed: closed, FileName: "8250001_CTF_8230001_012.XML", Uploaded: t0,
		}),
		Confirmation(ConfirmationNotice{
			To: []string{"office@ampthill.beds.sch.uk"}, Sender: ampthill, Dest: redborne, FileName: name, Pupils: 3,
			Uploaded: t0, Warnings: in.warnings,
		}),
		Confirmation(ConfirmationNotice{
			To: []string{"office@ampthill.beds.sch.uk"}, Sender: ampthill, Dest: lostDB, FileName: "8231234_CTF_XXXXXXX_002.XML",
			Pupils: 1, Uploaded: t0,
		}),
		Collected(CollectedNotice{To: []string{"office@ampthill.beds.sch.uk"}, Sender: ampthill, Dest: redborne, FileName: name, Collected: t0.Add(26 * time.Hour)}),
		RejectedByRecipient(RejectedNotice{To: []string{"office@ampthill.beds.sch.uk"}, Sender: ampthill, Dest: redborne,
			FileName: "8231234_CTF_8239999_003.XML", Rejected: t0.Add(3 * time.Hour)}),
		ValidationFailed(ValidationFailedNotice{To: []string{"office@ampthill.beds.sch.uk", "mis@ampthill.beds.sch.uk"}, Sender: ampthill,
			FileName: "8231234_CTF_8239999_005.XML", Received: t0, Reasons: in.reasons, Deleted: t0.AddDate(0, 0, 14)}),
		Redirected(RedirectedNotice{To: []string{"office@larkrise.beds.sch.uk"}, Sender: Party{"8250001", "Lark Rise Lower School"},
			Addressed: closed, Successor: redborne, FileName: "8250001_CTF_8230001_012.XML", At: t0}),
		Expired(ExpiredNotice{To: []string{"office@ampthill.beds.sch.uk", "s2s@bedford.gov.uk"}, Sender: ampthill, Dest: redborne,
			FileName: "8231234_CTF_8239999_006.XML", Uploaded: t0.AddDate(0, -2, 0), Expired: t0}),
		Withdrawn(WithdrawnNotice{To: []string{"office@ampthill.beds.sch.uk"}, Sender: ampthill, Dest: redborne, By: bedford,
			FileName: "8231234_CTF_8239999_007.XML", At: t0}),
		WeeklyReminder(WeeklyReminderNotice{To: []string{"office@ampthill.beds.sch.uk"}, Mailbox: ampthill,
			Week: time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC), Files: waiting}),
		WeeklyLAReminder(WeeklyLAReminderNotice{To: []string{"s2s@bedford.gov.uk"}, LA: bedford,
			Week: time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC), Files: waiting[:1]}),
		LostPupilsLeaving(LostPupilsLeavingNotice{To: []string{"s2s@bedford.gov.uk"}, LA: bedford, Records: 4,
			By: time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)}),
		NewUserUsername(NewUserNotice{To: "j.smith@ampthill.beds.sch.uk", Login: "ampthill-office", Mailbox: ampthill, Role: "school",
			Server: Server{Host: "s2s.example.gov.uk", Port: 22}}),
		NewUserPassword(TempPasswordNotice{To: "j.smith@ampthill.beds.sch.uk", Password: "Tq7-vRk2-Lm9x-Wd4p"}),
		NewUserUsername(NewUserNotice{To: "a.jones@bedford.gov.uk", Login: "bedford-dba", Mailbox: bedford, Role: "la-dba",
			Server: Server{Host: "s2s.example.gov.uk", Port: 22}, Reset: true}),
		SecureMessageWaiting(SecureMessageNotice{To: []string{"office@ampthill.beds.sch.uk"}, From: bedford, Recipient: ampthill, Sent: t0}),
		FilesWaiting([]FileWaitingNotice{
			{To: []string{"office@redborne.beds.sch.uk"}, Recipient: redborne, Sender: Party{"8250001", "Lark Rise Lower School"},
				Addressed: closed, FileName: "8250001_CTF_8230001_014.XML", Uploaded: t0.Add(time.Minute), Expires: t0.Add(time.Minute).AddDate(0, 2, 0)},
			{To: []string{"office@redborne.beds.sch.uk"}, Recipient: redborne, Sender: Party{"8250001", "Lark Rise Lower School"},
				Addressed: closed, FileName: "8250001_CTF_8230001_013.XML", Uploaded: t0, Expires: t0.AddDate(0, 2, 0)},
		}),
		Confirmations([]ConfirmationNotice{
			{To: []string{"office@ampthill.beds.sch.uk"}, Sender: ampthill, Dest: redborne, FileName: "8231234_CTF_8239999_009.XML",
				Pupils: 3, Uploaded: t0, Warnings: in.warnings},
			{To: []string{"office@ampthill.beds.sch.uk"}, Sender: ampthill, Dest: redborne, Addressed: closed, FileName: "8231234_CTF_8230001_008.XML",
				Pupils: 1, Uploaded: t0},
			{To: []string{"office@ampthill.beds.sch.uk"}, Sender: ampthill, Dest: lostDB, FileName: "8231234_CTF_XXXXXXX_010.XML",
				Pupils: 1, Uploaded: t0},
		}),
	}
}

var sampleInputs = noticeInputs{
	reasons: []string{
		"the Header's DestSchool (LEA 825, Estab 9999) does not match the file name's destination 8239999: export the file again for the right destination",
		"pupil 2: UPN check letter is wrong",
		"pupils 1, 4 and 7: DOB is not a real date",
	},
	warnings: []string{"pupil 1: Surname has leading or trailing spaces", "pupil 2: Forename has double spaces"},
}

// Every notice's subject and body, byte for byte, against the golden files
// in testdata/notices (go test -run TestNoticesGolden -update rewrites
// them).
func TestNoticesGolden(t *testing.T) {
	seen := map[string]bool{}
	for i, m := range sampleNotices(sampleInputs) {
		if seen[m.Subject] {
			t.Fatalf("two samples share the subject %q", m.Subject)
		}
		seen[m.Subject] = true
		var got bytes.Buffer
		got.WriteString("Kind: " + m.Kind + "\n")
		got.WriteString("To: " + strings.Join(m.To, ", ") + "\n")
		got.WriteString("Subject: " + m.Subject + "\n")
		if m.Dedupe != "" {
			got.WriteString("Dedupe: " + m.Dedupe + "\n")
		}
		got.WriteString("\n" + m.Body)
		path := filepath.Join("testdata", "notices", goldenName(i, m))
		if *update {
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got.Bytes(), want) {
			t.Errorf("%s differs from its golden file:\n--- got\n%s\n--- want\n%s", path, got.Bytes(), want)
		}
	}
}

func goldenName(i int, m Message) string {
	return fmt.Sprintf("%02d-%s.txt", i+1, m.Kind)
}

func TestNoticeSubjects(t *testing.T) {
	ms := sampleNotices(sampleInputs)
	want := []string{
		"S2S: file waiting from 8231234 Ampthill Lower School",
		"S2S: file waiting from 8250001 Lark Rise Lower School",
		"S2S: 8231234_CTF_8239999_001.XML sent to 8239999 Redborne Upper School with 2 warnings",
		"S2S: 8231234_CTF_XXXXXXX_002.XML sent to XXXXXXX Lost Pupil Database",
		"S2S: 8231234_CTF_8239999_001.XML collected by 8239999 Redborne Upper School",
		"S2S: 8231234_CTF_8239999_003.XML rejected by 8239999 Redborne Upper School",
		"S2S: 8231234_CTF_8239999_005.XML was not sent: it failed validation",
		"S2S: 8250001_CTF_8230001_012.XML was redirected to 8239999 Redborne Upper School",
		"S2S: 8231234_CTF_8239999_006.XML expired uncollected",
		"S2S: 8231234_CTF_8239999_007.XML was withdrawn by 823LLLL Bedford Borough Council",
		"S2S: 2 files awaiting collection in 8231234 Ampthill Lower School",
		"S2S: 1 file awaiting collection at schools of 823LLLL Bedford Borough Council",
		"S2S: 4 records in the Lost Pupil Database will be removed by Thu 24 Dec 2026",
		"S2S: your new account",
		"S2S: your temporary password",
		"S2S: your password was reset",
		"S2S: a secure message from 823LLLL Bedford Borough Council is waiting",
		"S2S: 2 files waiting from 8250001 Lark Rise Lower School",
		"S2S: 3 files sent, 1 with warnings",
	}
	if len(ms) != len(want) {
		t.Fatalf("%d notices, %d subjects", len(ms), len(want))
	}
	for i, m := range ms {
		if m.Subject != want[i] {
			t.Errorf("notice %d (%s): subject %q, want %q", i, m.Kind, m.Subject, want[i])
		}
	}
	// Recipients are trimmed and repeated addresses dropped, whatever their case.
	if got := ms[0].To; !reflect.DeepEqual(got, []string{"office@redborne.beds.sch.uk", "exams@redborne.beds.sch.uk"}) {
		t.Errorf("FileWaiting recipients %q", got)
	}
	// The weekly reminders go once per mailbox and week.
	if ms[10].Dedupe != "weekly:2026-11-23:8231234" || ms[11].Dedupe != "weekly-la:2026-11-23:823LLLL" {
		t.Errorf("weekly dedupe keys %q, %q", ms[10].Dedupe, ms[11].Dedupe)
	}
	// The brief's wording of the file-waiting notice.
	if !strings.HasPrefix(ms[0].Body, "A file from 8231234 Ampthill Lower School is waiting in your S2S inbox: 8231234_CTF_8239999_001.XML\n") {
		t.Errorf("FileWaiting body starts %q", ms[0].Body[:80])
	}
	// Every reason and every warning is given.
	for _, r := range sampleInputs.reasons {
		if !strings.Contains(ms[6].Body, "  - "+r+"\n") {
			t.Errorf("ValidationFailed body lacks the reason %q", r)
		}
	}
	for _, w := range sampleInputs.warnings {
		if !strings.Contains(ms[2].Body, "  - "+w+"\n") {
			t.Errorf("Confirmation body lacks the warning %q", w)
		}
		if !strings.Contains(ms[18].Body, "8231234_CTF_8239999_009.XML:\n  - "+sampleInputs.warnings[0]+"\n  - "+sampleInputs.warnings[1]+"\n") {
			t.Errorf("Confirmations body lacks the warnings under their file")
		}
	}
	// A notice gathered from one file is that file's own notice.
	one := ConfirmationNotice{To: []string{"office@ampthill.beds.sch.uk"}, Sender: ampthill, Dest: redborne, FileName: "8231234_CTF_8239999_001.XML", Uploaded: t0}
	if got, want := Confirmations([]ConfirmationNotice{one}), Confirmation(one); !reflect.DeepEqual(got, want) {
		t.Errorf("Confirmations of one file:\n%+v\nwant\n%+v", got, want)
	}
	w := FileWaitingNotice{To: []string{"office@redborne.beds.sch.uk"}, Recipient: redborne, Sender: ampthill, FileName: "8231234_CTF_8239999_001.XML", Uploaded: t0}
	if got, want := FilesWaiting([]FileWaitingNotice{w}), FileWaiting(w); !reflect.DeepEqual(got, want) {
		t.Errorf("FilesWaiting of one file:\n%+v\nwant\n%+v", got, want)
	}
}

// The username and the temporary password never travel together.
func TestNewUserEmailsAreSeparate(t *testing.T) {
	const login, password = "ampthill-office", "Tq7-vRk2-Lm9x-Wd4p"
	for _, reset := range []bool{false, true} {
		user := NewUserUsername(NewUserNotice{To: "j.smith@ampthill.beds.sch.uk", Login: login, Mailbox: ampthill,
			Role: "school", Server: Server{Host: "s2s.example.gov.uk", Port: 22}, Reset: reset})
		pass := NewUserPassword(TempPasswordNotice{To: "j.smith@ampthill.beds.sch.uk", Password: password, Reset: reset})
		if !strings.Contains(user.Body, "Username: "+login+"\n") || !strings.Contains(user.Body, "Host:     s2s.example.gov.uk\n") {
			t.Errorf("the username email lacks the username or the host:\n%s", user.Body)
		}
		if strings.Contains(user.Subject+user.Body, password) {
			t.Error("the username email holds the password")
		}
		if !strings.Contains(pass.Body, "    "+password+"\n") {
			t.Errorf("the password email lacks the password:\n%s", pass.Body)
		}
		for _, v := range []string{login, "ampthill", ampthill.Code, ampthill.Name, "s2s.example.gov.uk", "school"} {
			if strings.Contains(strings.ToLower(pass.Subject+pass.Body), strings.ToLower(v)) {
				t.Errorf("the password email holds %q", v)
			}
		}
		if !pass.Scrub || user.Scrub {
			t.Errorf("Scrub: password %v, username %v; want true, false", pass.Scrub, user.Scrub)
		}
		if !reflect.DeepEqual(user.To, pass.To) || len(pass.To) != 1 {
			t.Errorf("recipients %q and %q", user.To, pass.To)
		}
	}
}

// A file name that is not an S2S name is not shown: a local drop could be
// named after a pupil.
func TestNoticeFileNames(t *testing.T) {
	for name, shown := range map[string]bool{
		"8231234_CTF_8239999_001.XML":                          true,
		"8231234_ctf_8239999_001.xml":                          true,
		"823LLLL_CTF8231234_001.XML":                           true,
		"8231234_CML_823LLLL_001.XML":                          true,
		"8231234_CTF_XXXXXXX_002.XML":                          true,
		"8231234_8239999_SEN-NOTES.ZIP":                        true,
		"Quillfeather_Marigold.xml":                            false,
		"8231234_CTF_8239999_001 (1).XML":                      false,
		"8231234_8239999_Quillfeather Marigold 2014-05-17.ZIP": false,
		"8231234_CTF_8239999_001.XML\r\nBcc: x@y":              false,
		"": false,
	} {
		m := ValidationFailed(ValidationFailedNotice{To: []string{"a@b"}, Sender: ampthill, FileName: name, Received: t0, Reasons: []string{"r"}})
		if got := strings.Contains(m.Subject, name) && name != ""; got != shown {
			t.Errorf("%q shown: %v, want %v (subject %q)", name, got, shown, m.Subject)
		}
		if !shown && !strings.Contains(m.Subject, "(a file whose name is not a valid S2S name)") {
			t.Errorf("%q: subject %q", name, m.Subject)
		}
		if strings.ContainsAny(m.Subject, "\r\n") {
			t.Errorf("subject %q holds a line break", m.Subject)
		}
	}
	// A name from the register cannot break a header either.
	m := FileWaiting(FileWaitingNotice{To: []string{"a@b"}, Recipient: redborne, Sender: Party{"8231234", "Ampthill\r\nBcc: x@y"}, FileName: "x", Uploaded: t0})
	if strings.ContainsAny(m.Subject, "\r\n") || m.Subject != "S2S: file waiting from 8231234 Ampthill  Bcc: x@y" {
		t.Errorf("subject %q", m.Subject)
	}
}

// pupilValues returns every pupil value in the CTF fixtures that a notice
// must never hold, with the reasons and warnings the validator gives for
// each fixture.
func pupilValues(t *testing.T) (values []string, in noticeInputs) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "testdata", "ctf", "*.xml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no CTF fixtures: %v", err)
	}
	las, err := routing.NewLANumbers(routing.DefaultLANumbers())
	if err != nil {
		t.Fatal(err)
	}
	sender, err := routing.ParseCode("8231234", las)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	pupils := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		info, err := routing.ReadCTF(bytes.NewReader(data), routing.CTFOptions{Admissions: true})
		if err != nil {
			var ce *routing.CTFError
			if !errors.As(err, &ce) {
				t.Fatalf("%s: %v", f, err)
			}
			in.reasons = append(in.reasons, ce.Reason)
			continue
		}
		dest := info.DestLEA + info.DestEstab
		if len(dest) != 7 {
			dest = "8239999"
		}
		n, err := routing.ParseName("8231234_CTF_"+dest+"_001.XML", las)
		if err != nil {
			n, _ = routing.ParseName("8231234_CTF_8239999_001.XML", las)
		}
		v := routing.ValidateCTF(info, n, sender, now)
		for _, e := range v.Errors {
			in.reasons = append(in.reasons, e.Error())
		}
		in.warnings = append(in.warnings, v.Warnings...)
		for _, p := range info.Pupils {
			pupils++
			for _, s := range []string{p.UPN, p.FormerUPN, p.Surname, p.FormerSurname, p.Forename, p.MiddleNames, p.Postcode} {
				values = append(values, strings.Fields(s)...)
			}
			values = append(values, p.UPN, p.FormerUPN, p.Surname, p.Forename, p.MiddleNames)
			dob := strings.TrimSpace(p.DOB)
			values = append(values, dob)
			if d, err := time.Parse(time.DateOnly, dob); err == nil {
				// The same date as notices write dates, and as people do.
				values = append(values, day(d), d.Format("2 Jan 2006"), d.Format("02/01/2006"))
			}
		}
	}
	if pupils < 20 || len(in.reasons) < 10 || len(in.warnings) < 3 {
		t.Fatalf("fixtures gave %d pupils, %d reasons, %d warnings: too few to test with", pupils, len(in.reasons), len(in.warnings))
	}
	var out []string
	for _, v := range values {
		v = strings.TrimSpace(v)
		if len(v) >= 3 && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, in
}

// leaks returns the pupil values m holds, compared without case.
func leaks(m Message, values []string) []string {
	text := strings.ToLower(m.Subject + "\n" + strings.Join(m.To, ",") + "\n" + m.Body)
	var out []string
	for _, v := range values {
		if strings.Contains(text, strings.ToLower(v)) {
			out = append(out, v)
		}
	}
	return out
}

// No notice holds a pupil's name, UPN, date of birth or postcode from the
// fixtures, even fed every reason and warning the validator gives on them.
func TestNoticesHoldNoPupilData(t *testing.T) {
	values, in := pupilValues(t)
	t.Logf("%d pupil values, %d reasons, %d warnings", len(values), len(in.reasons), len(in.warnings))
	for _, want := range []string{"Quillfeather", "F823123414001", "2014-05-17", "Sat 17 May 2014", "Thistlewood", "ZZ99"} {
		if !slices.Contains(values, want) {
			t.Fatalf("the pupil values lack %q: the fixtures were not read", want)
		}
	}
	for _, m := range sampleNotices(in) {
		if l := leaks(m, values); len(l) > 0 {
			t.Errorf("%s notice %q holds pupil data %q:\n%s", m.Kind, m.Subject, l, m.Body)
		}
	}
	// The check can fail: a notice that does hold a pupil's name is caught.
	bad := FileWaiting(FileWaitingNotice{To: []string{"a@b"}, Recipient: redborne, Sender: Party{"8231234", "Quillfeather"}, FileName: "x", Uploaded: t0})
	if l := leaks(bad, values); !slices.Contains(l, "Quillfeather") {
		t.Fatalf("a notice naming a pupil was not caught: %q", l)
	}
}
