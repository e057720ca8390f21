package delivery

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
	"github.com/s2sd/s2sd/spool"
)

// MatchFolder is the folder of an LA mailbox's spool directory that holds
// its batch-matching CSVs and their results: /lost-pupils/match/.
const MatchFolder = "lostmatch"

// MatchFile is a file of /lost-pupils/match/: an uploaded CSV or its
// results.
type MatchFile struct {
	Name    string
	Size    int64
	ModTime time.Time
}

// matchResultColumns head NAME.results.csv. The input_ columns repeat the
// row as given; match is upn, name-dob, soundex-dob, none or error; reason
// says what is wrong with an error row; the rest is the record found.
func matchResultColumns() []string {
	return []string{"row", "input_upn", "input_surname", "input_forename", "input_dob", "match", "reason",
		"record_id", "upn", "surname", "forename", "dob", "gender", "town", "la", "school", "school_name", "uploaded"}
}

// Match kinds for rows without a record.
const (
	matchNone  = "none"
	matchError = "error"
)

// matchResultLines are the lines of NAME.results.csv for one row: one per
// record found, strongest first, or one none or error line.
func matchResultLines(row routing.MatchRow, ms []ledger.LostMatch) [][]string {
	in := []string{strconv.Itoa(row.Row), row.UPN, row.Surname, row.Forename, row.DOB}
	blank := make([]string, len(matchResultColumns())-len(in)-2)
	switch {
	case row.Fault != "":
		return [][]string{append(append(in, matchError, row.Fault), blank...)}
	case len(ms) == 0:
		return [][]string{append(append(in, matchNone, ""), blank...)}
	}
	out := make([][]string, len(ms))
	for i, m := range ms {
		p := m.Record
		out[i] = append(append([]string{}, in...), m.How, "", strconv.FormatInt(p.ID, 10), p.UPN, p.Surname, p.Forename,
			p.DOB, p.Gender, p.Town, p.LA, p.School, p.SchoolName, p.UploadedAt.UTC().Format("2006-01-02"))
	}
	return out
}

func (r *Router) matchDir(who Sender) string {
	return r.cfg.abs(filepath.Join("spool", who.Mailbox, MatchFolder))
}

// mayMatch refuses everyone but LA lost-pupil users.
func mayMatch(who Sender) error {
	if (who.Role != routing.RoleLALostPupil && who.Role != routing.RoleLALostPupilTransfer) || len(who.Mailbox) != 7 {
		return errors.New("only LA lost-pupil users can match against the Lost Pupil Database")
	}
	return nil
}

// CheckMatch says, at OPEN, whether who may upload a CSV for batch
// matching under name, and returns its size limit.
func (r *Router) CheckMatch(who Sender, name string) (int64, error) {
	if err := mayMatch(who); err != nil {
		return 0, err
	}
	if err := routing.CheckMatchName(name); err != nil {
		return 0, err
	}
	// A CSV of the same name, or one whose results would have the same
	// name (census.CSV and census.csv), must go first. Results left by
	// a CSV already deleted are replaced.
	entries, err := os.ReadDir(r.matchDir(who))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, err
	}
	for _, e := range entries {
		if routing.CheckMatchName(e.Name()) == nil && routing.MatchResultsName(e.Name()) == routing.MatchResultsName(name) {
			return 0, fmt.Errorf("%s is already in /lost-pupils/match/: delete it and %s first, or upload under another name",
				e.Name(), routing.MatchResultsName(e.Name()))
		}
	}
	return routing.MatchMaxSize, nil
}

// Match matches the CSV a user uploaded as name, staged in the file
// staged, against the records still lost, writes NAME.results.csv, and
// moves both into the LA's match folder, durably, before it returns. It
// audits the run with its counts. A file that cannot be matched at all
// (a bad header, too many rows) is refused with the reason; the caller
// then removes the staged file.
func (r *Router) Match(ctx context.Context, who Sender, name, staged string) error {
	if _, err := r.CheckMatch(who, name); err != nil {
		return err
	}
	b, err := readLimited(staged, routing.MatchMaxSize)
	if err != nil {
		return err
	}
	rows, err := routing.ParseMatchCSV(b)
	if err != nil {
		return fmt.Errorf("%s cannot be matched: %w", name, err)
	}
	results, counts, err := r.writeMatchResults(ctx, filepath.Dir(staged), rows)
	if err != nil {
		return err
	}
	dir := r.matchDir(who)
	err = os.MkdirAll(dir, 0o700)
	if err == nil {
		// The CSV first: moving it claims the name.
		err = spool.MoveNoReplace(staged, filepath.Join(dir, name))
	}
	if err == nil {
		if err = os.Rename(results, filepath.Join(dir, routing.MatchResultsName(name))); err != nil {
			os.Remove(filepath.Join(dir, name))
		}
	}
	if err != nil {
		os.Remove(results)
		if errors.Is(err, spool.ErrTargetExists) {
			return fmt.Errorf("%s is already in /lost-pupils/match/: delete it and %s first, or upload under another name",
				name, routing.MatchResultsName(name))
		}
		return err
	}
	if err := spool.SyncDir(dir); err != nil {
		return err
	}
	detail := fmt.Sprintf("rows=%d matched=%d none=%d errors=%d records=%d", len(rows), counts.matched, counts.none, counts.errors, counts.records)
	r.log.Info().Str("user", who.Login).Str("file", name).Int("rows", len(rows)).Int("errors", counts.errors).Msg("lost pupil batch matching")
	return r.ledger.Audit(ctx, ledger.Event{At: r.cfg.Now(), Event: ledger.EventLostMatch, Login: who.Login,
		Mailbox: who.Mailbox, Remote: who.Remote, Object: name, Detail: detail})
}

type matchCounts struct{ matched, none, errors, records int }

// writeMatchResults writes the results of rows into a new file in dir,
// fsynced, and returns its path.
func (r *Router) writeMatchResults(ctx context.Context, dir string, rows []routing.MatchRow) (string, matchCounts, error) {
	var c matchCounts
	f, err := os.CreateTemp(dir, "results-*")
	if err != nil {
		return "", c, err
	}
	fail := func(err error) (string, matchCounts, error) {
		f.Close()
		os.Remove(f.Name())
		return "", c, err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	w := csv.NewWriter(bw)
	w.UseCRLF = true
	w.Write(matchResultColumns())
	err = r.ledger.MatchLost(ctx, rows, LostResultCap, func(i int, ms []ledger.LostMatch) error {
		switch {
		case rows[i].Fault != "":
			c.errors++
		case len(ms) == 0:
			c.none++
		default:
			c.matched++
			c.records += len(ms)
		}
		return w.WriteAll(matchResultLines(rows[i], ms))
	})
	if err != nil {
		return fail(err)
	}
	if err := bw.Flush(); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		return fail(err)
	}
	return f.Name(), c, nil
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("the file is larger than %d MiB: split it into smaller files", limit>>20)
	}
	return b, nil
}

// MatchFiles lists the LA's match folder: the CSVs and their results.
func (r *Router) MatchFiles(who Sender) ([]MatchFile, error) {
	if err := mayMatch(who); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(r.matchDir(who))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []MatchFile
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue // deleted meanwhile
		}
		out = append(out, MatchFile{Name: e.Name(), Size: fi.Size(), ModTime: fi.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// matchPath is the path of a file of the match folder, or an error for a
// name that cannot be one.
func (r *Router) matchPath(who Sender, name string) (string, error) {
	if err := mayMatch(who); err != nil {
		return "", err
	}
	if name == "" || strings.ContainsAny(name, "/\x00") || strings.HasPrefix(name, ".") {
		return "", os.ErrNotExist
	}
	return filepath.Join(r.matchDir(who), name), nil
}

// MatchOpen opens a file of the match folder for download.
func (r *Router) MatchOpen(who Sender, name string) (*os.File, error) {
	p, err := r.matchPath(who, name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, os.ErrNotExist
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, os.ErrNotExist
	}
	return f, nil
}

// MatchRemove deletes a file of the match folder.
func (r *Router) MatchRemove(who Sender, name string) error {
	p, err := r.matchPath(who, name)
	if err != nil {
		return err
	}
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		return os.ErrNotExist
	}
	if err := os.Remove(p); err != nil {
		return err
	}
	return spool.SyncDir(filepath.Dir(p))
}
