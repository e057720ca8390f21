package mailer

import (
	"fmt"
	"time"
)

// WaitingFile is one file awaiting collection, as a reminder lists it.
type WaitingFile struct {
	Name     string
	From     Party
	To       Party // the school it waits at; shown in an LA's list
	Uploaded time.Time
}

// WeeklyReminderNotice reminds a mailbox of the files awaiting collection
// in its inbox.
type WeeklyReminderNotice struct {
	To      []string // the mailbox's contact and its users
	Mailbox Party
	Week    time.Time // the day the reminder is for, e.g. Monday's date
	Files   []WaitingFile
}

// WeeklyReminder is a mailbox's weekly list of files awaiting collection.
// It goes at most once per mailbox and week: its Dedupe key is
// weekly:<date>:<code>, e.g. weekly:2026-11-23:8231234.
func WeeklyReminder(n WeeklyReminderNotice) Message {
	var b body
	b.line("%s awaiting collection in the S2S inbox of %s:", plural(len(n.Files), "file is", "files are"), n.Mailbox)
	b.blank()
	for _, f := range n.Files {
		b.line("  %s", fileName(f.Name))
		b.line("      from %s, uploaded %s", f.From, day(f.Uploaded))
	}
	b.blank()
	b.line("Collect them from the /inbox/ folder of your S2S mailbox. If a file is not")
	b.line("for you, delete it there: the sender is told. Files not collected are deleted")
	b.line("when they expire.")
	return Message{
		Kind:    KindWeekly,
		To:      recipients(n.To),
		Subject: subject("%s awaiting collection in %s", plural(len(n.Files), "file", "files"), n.Mailbox),
		Body:    b.done(),
		Dedupe:  fmt.Sprintf("weekly:%s:%s", n.Week.Format(time.DateOnly), n.Mailbox.Code),
	}
}

// WeeklyLAReminderNotice gives an LA the files awaiting collection at its
// schools.
type WeeklyLAReminderNotice struct {
	To    []string // the LA mailbox's contact and its users
	LA    Party
	Week  time.Time
	Files []WaitingFile // each with To set to the school
}

// WeeklyLAReminder is an LA's weekly list of the files awaiting
// collection at its schools. Its Dedupe key is
// weekly-la:<date>:<code>.
func WeeklyLAReminder(n WeeklyLAReminderNotice) Message {
	var b body
	b.line("%s awaiting collection at schools of %s:", plural(len(n.Files), "file is", "files are"), n.LA)
	b.blank()
	for _, f := range n.Files {
		b.line("  %s", fileName(f.Name))
		b.line("      for %s", f.To)
		b.line("      from %s, uploaded %s", f.From, day(f.Uploaded))
	}
	b.blank()
	b.line("The report /reports/monitor.csv in your S2S mailbox gives the full picture.")
	return Message{
		Kind:    KindWeeklyLA,
		To:      recipients(n.To),
		Subject: subject("%s awaiting collection at schools of %s", plural(len(n.Files), "file", "files"), n.LA),
		Body:    b.done(),
		Dedupe:  fmt.Sprintf("weekly-la:%s:%s", n.Week.Format(time.DateOnly), n.LA.Code),
	}
}

// LostPupilsLeavingNotice tells an LA how many of the Lost Pupil Database
// records its schools uploaded will be removed soon, at the end of
// compulsory school age. It gives the count only: the list, which is
// pupil data, is in the leaving-age report inside S2S.
type LostPupilsLeavingNotice struct {
	To      []string
	LA      Party
	Records int
	By      time.Time // the records reach the end of compulsory school age by this date
}

// LostPupilsLeaving is the notice to an uploading LA, 30 days ahead, of
// the Lost Pupil Database records about to be removed. Its Dedupe key is
// lost-leaving:<date of By>:<code>, so a job that runs daily with the same
// By sends it once.
func LostPupilsLeaving(n LostPupilsLeavingNotice) Message {
	var b body
	b.line("%s in the Lost Pupil Database, uploaded by schools of %s,",
		plural(n.Records, "record", "records"), n.LA)
	b.line("reach the end of compulsory school age by %s and will then be removed.", day(n.By))
	b.blank()
	b.line("The list is in /reports/leaving-age.csv in your S2S mailbox.")
	return Message{
		Kind:    KindLostPupilsLeaving,
		To:      recipients(n.To),
		Subject: subject("%s in the Lost Pupil Database will be removed by %s", plural(n.Records, "record", "records"), day(n.By)),
		Body:    b.done(),
		Dedupe:  fmt.Sprintf("lost-leaving:%s:%s", n.By.Format(time.DateOnly), n.LA.Code),
	}
}
