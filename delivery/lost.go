package delivery

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
	"github.com/s2sd/s2sd/spool"
)

// LostResultCap is the most records one search shows: the whole database
// can never be listed.
const LostResultCap = 200

// LostFile is a Lost Pupil Database record as a file in a folder.
type LostFile struct {
	ID     int64
	Name   string // SURNAME_FORENAME_DOB_GENDER_UPN_ID.xml
	Size   int64
	Record ledger.LostPupil
}

// lostFileName names a record's file from its fields, keeping only
// letters, digits and hyphens from each.
func lostFileName(p ledger.LostPupil) string {
	clean := func(s string) string {
		s = strings.Map(func(r rune) rune {
			if r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
				return r
			}
			if r == ' ' || r == '\'' {
				return '-'
			}
			return -1
		}, strings.TrimSpace(s))
		if s == "" {
			return "x"
		}
		return s
	}
	return fmt.Sprintf("%s_%s_%s_%s_%s_%d.xml", strings.ToUpper(clean(p.Surname)), clean(p.Forename), clean(p.DOB),
		clean(p.Gender), clean(p.UPN), p.ID)
}

// LostID takes the record id from a result's file name.
func LostID(name string) (int64, bool) {
	base := strings.TrimSuffix(name, ".xml")
	i := strings.LastIndexByte(base, '_')
	if i < 0 || base == name {
		return 0, false
	}
	id, err := strconv.ParseInt(base[i+1:], 10, 64)
	return id, err == nil && id > 0
}

// LostSearch runs a search folder's query for an LA user, audits it, and
// returns the matching records as files.
func (r *Router) LostSearch(ctx context.Context, who Sender, query string) ([]LostFile, error) {
	q, err := routing.ParseLostQuery(query)
	if err != nil {
		return nil, err
	}
	ps, err := r.ledger.SearchLost(ctx, q, LostResultCap)
	if err != nil {
		return nil, err
	}
	if err := r.ledger.Audit(ctx, ledger.Event{At: r.cfg.Now(), Event: ledger.EventSearch, Login: who.Login,
		Mailbox: who.Mailbox, Remote: who.Remote, Object: query, Detail: fmt.Sprintf("results=%d", len(ps))}); err != nil {
		return nil, err
	}
	return r.lostFiles(ps), nil
}

func (r *Router) lostFiles(ps []ledger.LostPupil) []LostFile {
	out := make([]LostFile, len(ps))
	for i, p := range ps {
		out[i] = LostFile{ID: p.ID, Name: lostFileName(p), Record: p}
		if fi, err := os.Stat(r.cfg.abs(p.Path)); err == nil {
			out[i].Size = fi.Size()
		}
	}
	return out
}

// LostResultsCSV is results.csv: every field of each record found.
func LostResultsCSV(files []LostFile) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	w.Write([]string{"file", "id", "upn", "former_upn", "surname", "former_surname", "forename", "middle_names", "dob",
		"gender", "town", "postcode", "la", "school", "school_name", "uploaded", "destination"})
	for _, f := range files {
		p := f.Record
		w.Write([]string{f.Name, strconv.FormatInt(p.ID, 10), p.UPN, p.FormerUPN, p.Surname, p.FormerSurname, p.Forename,
			p.MiddleNames, p.DOB, p.Gender, p.Town, p.Postcode, p.LA, p.School, p.SchoolName,
			p.UploadedAt.UTC().Format("2006-01-02"), p.Via})
	}
	w.Flush()
	return b.Bytes()
}

// LostClaim claims a record found by query for the user's LA.
func (r *Router) LostClaim(ctx context.Context, who Sender, query string, id int64) error {
	files, err := r.LostSearch(ctx, who, query)
	if err != nil {
		return err
	}
	for _, f := range files {
		if f.ID == id {
			return r.ledger.ClaimLost(ctx, id, who.Mailbox[:3], who.Login, who.Remote, r.cfg.Now())
		}
	}
	return fmt.Errorf("record %d is not among this search's results: search again", id)
}

// LostClaimed lists the records the user's LA has claimed.
func (r *Router) LostClaimed(ctx context.Context, who Sender) ([]LostFile, error) {
	ps, err := r.ledger.ClaimedLost(ctx, who.Mailbox[:3])
	if err != nil {
		return nil, err
	}
	return r.lostFiles(ps), nil
}

// claimedBy returns record id if who's LA claimed it and has not
// forwarded it: the records in its claimed/ folder. Any other is not
// found.
func (r *Router) claimedBy(ctx context.Context, who Sender, id int64) (ledger.LostPupil, error) {
	p, err := r.ledger.LostPupil(ctx, id)
	if err != nil || p.State != "claimed" || p.ClaimedBy != who.Mailbox[:3] || p.ForwardedAs != "" {
		return ledger.LostPupil{}, os.ErrNotExist
	}
	return p, nil
}

// LostOpen opens a record's file if the user's LA claimed it.
func (r *Router) LostOpen(ctx context.Context, who Sender, id int64) (*os.File, error) {
	p, err := r.claimedBy(ctx, who, id)
	if err != nil {
		return nil, err
	}
	return os.Open(r.cfg.abs(p.Path))
}

// LostForward sends a claimed record's file to a school as a transfer from
// the user's LA, under name, without a download and upload: the file is
// linked into the LA's outbox and routed from there.
//
// A forwarded record leaves claimed/, as a moved file would, and cannot
// be forwarded again. Forwards are made one at a time, so that two
// sessions moving the same record cannot both send it.
func (r *Router) LostForward(ctx context.Context, who Sender, id int64, name string) error {
	r.forwarding.Lock()
	defer r.forwarding.Unlock()
	p, err := r.claimedBy(ctx, who, id)
	if err != nil {
		return err
	}
	n, err := routing.ParseName(name, r.cfg.LANumbers)
	if err != nil {
		return err
	}
	if n.Type != routing.TypeCTF || n.Dest.Kind != routing.KindSchool || n.Source.Value != who.Mailbox {
		return fmt.Errorf("forward a claimed record under an LA-to-school CTF name, e.g. %s_CTF8231234_001.XML", who.Mailbox)
	}
	if _, err := r.CheckUpload(ctx, who, name); err != nil {
		return err
	}
	dst := r.cfg.abs(spoolRel(who.Mailbox, spool.Outbox, name))
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	fwd := who
	fwd.Forward = true
	r.Expect(who.Mailbox, name, fwd)
	if err := os.Link(r.cfg.abs(p.Path), dst); err != nil {
		r.Forget(who.Mailbox, name)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s has already been sent and is being processed; use the next sequence number", name)
		}
		return err
	}
	if err := spool.SyncDir(filepath.Dir(dst)); err != nil {
		return err
	}
	r.Submit(who.Mailbox, name)
	// The file is on its way: a failure to record that is logged, not
	// reported, so that the client does not send it again.
	err = r.ledger.LostForwarded(ctx, id, who.Mailbox[:3], name, ledger.Event{At: r.cfg.Now(), Event: "lost-forward",
		Login: who.Login, Mailbox: who.Mailbox, Remote: who.Remote, Object: fmt.Sprintf("lost-pupil/%d", id), Detail: name})
	if err != nil {
		r.log.Error().Err(err).Int64("lost_pupil", id).Str("file", name).Msg("recording a forwarded Lost Pupil Database record failed")
	}
	return nil
}
