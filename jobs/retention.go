package jobs

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/mailer"
	"github.com/s2sd/s2sd/routing"
)

// Report counts what one retention run did.
type Report struct {
	Expired, Purged, RejectedDeleted, LostRemoved, LostNotices int
	MatchFilesDeleted                                          int
	MetadataPurged                                             int64
	MessagesDeleted                                            int64
}

// Retention applies every retention rule as of now. Each step deletes
// files first and records it after, so a crash between the two is made
// good by the next run.
func (j *Jobs) Retention(ctx context.Context, now time.Time) (Report, error) {
	var r Report
	defer j.countDeletions(&r)
	steps := []func(context.Context, time.Time, *Report) error{
		j.expireUncollected, j.purgeCollected, j.deleteRejected, j.lostPupils, j.deleteMatchFiles, j.purgeMetadata, j.purgeMessages,
	}
	for _, step := range steps {
		if err := step(ctx, now, &r); err != nil {
			return r, err
		}
	}
	j.log.Info().Int("expired", r.Expired).Int("purged", r.Purged).Int("rejected_deleted", r.RejectedDeleted).
		Int("lost_removed", r.LostRemoved).Int64("metadata_purged", r.MetadataPurged).
		Int64("messages_deleted", r.MessagesDeleted).Msg("retention run")
	return r, nil
}

// expireUncollected deletes transfers nobody collected in time and tells
// their sender and its LA.
func (j *Jobs) expireUncollected(ctx context.Context, now time.Time, r *Report) error {
	ts, err := j.ledger.TransfersBefore(ctx, ledger.StateAwaiting, now.AddDate(0, -j.rules.UncollectedMonths, 0))
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.Dest == routing.CodeLostUnknown || t.Dest == routing.CodeLostLeft {
			continue // the Lost Pupil Database keeps its own rule
		}
		if err := j.removeFiles(ctx, t); err != nil {
			return err
		}
		notice := mailer.Expired(mailer.ExpiredNotice{
			To:     j.addresses(ctx, t.Sender, routing.LACode(t.SenderLA)),
			Sender: j.party(ctx, t.Sender), Dest: j.party(ctx, t.Dest), FileName: t.Name,
			Uploaded: t.UploadedAt, Expired: now,
		})
		live, err := j.ledger.Retire(ctx, t.ID, ledger.StateExpired, ledger.StateExpired, "retention", mails(now, notice), now)
		if err != nil {
			return err
		}
		if live {
			r.Expired++
			j.kick()
		}
	}
	return nil
}

// purgeCollected deletes the files of transfers collected long enough ago.
func (j *Jobs) purgeCollected(ctx context.Context, now time.Time, r *Report) error {
	ts, err := j.ledger.TransfersBefore(ctx, ledger.StateCollected, now.AddDate(0, 0, -j.rules.CollectedDays))
	if err != nil {
		return err
	}
	for _, t := range ts {
		if err := j.removeFiles(ctx, t); err != nil {
			return err
		}
		live, err := j.ledger.Retire(ctx, t.ID, "", "purged", "retention", nil, now)
		if err != nil {
			return err
		}
		if live {
			r.Purged++
		}
	}
	return nil
}

// removeFiles deletes a transfer's file and its LA copies.
func (j *Jobs) removeFiles(ctx context.Context, t ledger.Transfer) error {
	copies, err := j.ledger.CopiesOf(ctx, t.ID)
	if err != nil {
		return err
	}
	for _, c := range copies {
		if err := j.remove(c.Path); err != nil {
			return err
		}
	}
	return j.remove(t.Path)
}

// deleteRejected deletes rejected uploads and their notes, unless a newer
// rejection under the same name has replaced them.
func (j *Jobs) deleteRejected(ctx context.Context, now time.Time, r *Report) error {
	ups, err := j.ledger.RejectedUploadsBefore(ctx, now.AddDate(0, 0, -j.rules.RejectedDays))
	if err != nil {
		return err
	}
	for _, up := range ups {
		latest, err := j.ledger.LatestRejection(ctx, up.Box, up.Name)
		if err != nil {
			return err
		}
		if latest == up.ID { // not replaced by a newer rejection of the same name
			rel := filepath.Join("spool", up.Box, "rejected", up.Name)
			if err := j.remove(rel); err != nil {
				return err
			}
			if err := j.remove(rel + ".txt"); err != nil {
				return err
			}
		}
		if err := j.ledger.UploadCleaned(ctx, up.ID, now); err != nil {
			return err
		}
		r.RejectedDeleted++
	}
	return nil
}

// lostPupils removes Lost Pupil Database records past compulsory school
// age, and tells each uploading LA, LostNoticeDays ahead, how many of its
// records will go.
func (j *Jobs) lostPupils(ctx context.Context, now time.Time, r *Report) error {
	records, err := j.ledger.LostPupils(ctx)
	if err != nil {
		return err
	}
	type key struct {
		la string
		by time.Time
	}
	leaving := make(map[key]int)
	for _, p := range records {
		if p.State != "lost" {
			continue
		}
		dob, err := time.Parse("2006-01-02", p.DOB)
		if err != nil {
			continue
		}
		ends := routing.CompulsorySchoolAgeEnds(dob)
		switch {
		case !now.Before(ends):
			if err := j.remove(p.Path); err != nil {
				return err
			}
			if err := j.ledger.LostRemoved(ctx, p.ID, now); err != nil {
				return err
			}
			r.LostRemoved++
		case now.AddDate(0, 0, j.rules.LostNoticeDays).After(ends):
			leaving[key{p.LA, ends}]++
		}
	}
	for k, n := range leaving {
		la := routing.LACode(k.la)
		notice := mailer.LostPupilsLeaving(mailer.LostPupilsLeavingNotice{
			To: j.addresses(ctx, la), LA: j.party(ctx, la), Records: n, By: k.by,
		})
		if ms := mails(now, notice); len(ms) > 0 {
			if err := j.ledger.EnqueueMail(ctx, ms...); err != nil {
				return err
			}
			r.LostNotices++
			j.kick()
		}
	}
	return nil
}

// purgeMetadata deletes ledger rows past the metadata retention period,
// and sent or failed notices past the mail outbox's.
func (j *Jobs) purgeMetadata(ctx context.Context, now time.Time, r *Report) error {
	n, err := j.ledger.PurgeMetadata(ctx, now.AddDate(-j.rules.MetadataYears, 0, 0))
	r.MetadataPurged = n
	return err
}

// deleteMatchFiles deletes Lost Pupil Database batch-matching CSVs and
// their results, which hold pupil data, as long after their upload as
// rejected uploads are kept.
func (j *Jobs) deleteMatchFiles(ctx context.Context, now time.Time, r *Report) error {
	dirs, err := filepath.Glob(filepath.Join(j.data, "spool", "*", matchFolder))
	if err != nil {
		return err
	}
	cutoff := now.AddDate(0, 0, -j.rules.RejectedDays)
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			fi, err := e.Info()
			if err != nil || !fi.Mode().IsRegular() || !fi.ModTime().Before(cutoff) {
				continue
			}
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !os.IsNotExist(err) {
				return err
			}
			r.MatchFilesDeleted++
		}
	}
	return nil
}

// matchFolder is where batch-matching files live in an LA's spool
// directory (delivery.MatchFolder).
const matchFolder = "lostmatch"

// purgeMessages deletes secure messages sent more than the rule's days
// ago, read or not.
func (j *Jobs) purgeMessages(ctx context.Context, now time.Time, r *Report) error {
	n, err := j.ledger.PurgeMessages(ctx, now.AddDate(0, 0, -j.rules.MessageDays))
	r.MessagesDeleted = n
	return err
}
