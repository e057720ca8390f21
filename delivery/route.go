package delivery

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/s2sd/s2sd/ledger"
	"github.com/s2sd/s2sd/routing"
	"github.com/s2sd/s2sd/spool"
)

// job is one file of a batch being routed.
type job struct {
	k     key
	who   *Sender // nil: look it up
	fresh *ledger.Upload
	audit ledger.Event // the upload's audit entry, recorded with fresh
	up    ledger.Upload
	p     plan
	done  bool // nothing to do: routed already, by another path
	err   error
}

// route routes one file in an outbox, exactly once.
func (r *Router) route(ctx context.Context, k key, who *Sender) error {
	j := &job{k: k, who: who}
	r.routeBatch(ctx, []*job{j})
	return j.err
}

// routeBatch routes files, each exactly once, in four steps the batch
// shares. First each file is planned: a pending upload a
// crash left behind keeps its plan; otherwise the file is validated and
// its plan decided. Then the new plans are committed, in one
// transaction, before anything moves. Then the files are moved, and each
// directory the moves changed is fsynced once. Last the outcomes are
// recorded, again in one transaction, with their notices. Every step is
// safe to repeat, so a crash anywhere ends with each file routed once.
// Each job's err says how it went.
//
// The jobs are prepared one after another. They once ran 32 at a time,
// so that their ledger transactions would share commits; with a batch
// recorded in two transactions, running them at once only crowded the Go
// scheduler, whose run queues the sessions' goroutines then waited
// behind: on two vCPUs, one phase-transfer session of 1,000 CTFs was
// routed in 2.05 and 2.69 s one at a time, against 2.40 and 3.82 s two
// at a time, and 2.50 and 3.00 s 32 at a time (s2sd-bench -quick,
// alternating runs).
func (r *Router) routeBatch(ctx context.Context, jobs []*job) {
	lk := newLookups(r.ledger)
	for _, j := range jobs {
		j.err = r.prepare(ctx, lk, j)
	}
	r.begin(ctx, jobs)
	r.syncSources(jobs)
	dirs := dirSet{}
	for _, j := range jobs {
		if j.err == nil && !j.done {
			j.err = r.execute(j.k, j.p, dirs)
		}
	}
	if err := dirs.syncAll(); err != nil {
		for _, j := range jobs {
			if j.err == nil {
				j.err = err
			}
		}
	}
	r.finishAll(ctx, lk, jobs)
}

// prepare finds a job's pending upload, or else decides its plan for
// begin to record.
func (r *Router) prepare(ctx context.Context, lk *lookups, j *job) error {
	k, who := j.k, j.who
	// A file a session has just acknowledged (who given) has its plan
	// looked for by BeginUpload, which keeps one a crash left pending;
	// looking first saves deciding again only for the files found at
	// start-up or by the watcher, which may be such leftovers.
	if who == nil {
		up, ok, err := r.ledger.PendingUpload(ctx, k.box, k.name)
		if err != nil {
			return err
		}
		if ok {
			return j.recorded(up)
		}
	}
	var err error
	src := r.cfg.abs(spoolRel(k.box, spool.Outbox, k.name))
	if _, err := os.Lstat(src); errors.Is(err, os.ErrNotExist) {
		j.done = true
		return nil
	}
	if who == nil {
		who, err = r.recordedSender(ctx, k)
		if err != nil {
			return err
		}
	}
	if who == nil {
		who = &Sender{Login: LocalLogin, Mailbox: k.box}
		if code, err := routing.ParseCode(k.box, r.cfg.LANumbers); err == nil {
			who.Role = localRole(code.Kind)
		}
		if k.box == spool.AdminBox {
			who.Mailbox, who.Role = "", routing.RoleAdmin
		}
	}
	p, size, sum, err := r.decide(ctx, lk, k, *who, src)
	if err != nil {
		return err
	}
	now := r.cfg.Now()
	// The upload's audit entry is written with its plan rather than when
	// sftpd acknowledged it, so that acknowledging costs no ledger commit.
	j.fresh = &ledger.Upload{
		Box: k.box, Name: k.name, Login: who.Login, Remote: who.Remote,
		Size: size, SHA256: sum, ReceivedAt: now, Plan: p.encode(),
		Reasons: strings.Join(p.Reasons, "\n"),
	}
	j.audit = ledger.Event{At: now, Event: ledger.EventUpload, Login: who.Login, Mailbox: who.Mailbox, Remote: who.Remote,
		Object: k.name, Detail: fmt.Sprintf("size=%d", size)}
	return nil
}

// begin commits the plans prepare decided, in one transaction. If that
// fails, each is committed alone, so that one file's failure holds back
// no other. A plan found pending meanwhile is kept instead (BeginUpload).
func (r *Router) begin(ctx context.Context, jobs []*job) {
	var fresh []*job
	for _, j := range jobs {
		if j.err == nil && !j.done && j.fresh != nil {
			fresh = append(fresh, j)
		}
	}
	if len(fresh) == 0 {
		return
	}
	ups := make([]ledger.Upload, len(fresh))
	err := r.ledger.Write(ctx, func(w *ledger.Writes) error {
		for i, j := range fresh {
			up, _, err := w.BeginUpload(*j.fresh, j.audit)
			if err != nil {
				return fmt.Errorf("%s/%s: %w", j.k.box, j.k.name, err)
			}
			ups[i] = up
		}
		return nil
	})
	switch {
	case err == nil:
	case len(fresh) == 1:
		fresh[0].err = err
	default:
		r.log.Warn().Err(err).Int("files", len(fresh)).Msg("recording a routing batch's plans failed; recording each alone")
		for i, j := range fresh {
			ups[i], _, j.err = r.ledger.BeginUpload(ctx, *j.fresh, j.audit)
		}
	}
	for i, j := range fresh {
		if j.err == nil {
			j.err = j.recorded(ups[i])
		}
	}
}

// recorded makes up, the ledger's record of a job's upload, the job's, and
// its plan the one to carry out.
func (j *job) recorded(up ledger.Upload) error {
	p, err := decodePlan(up.Plan)
	if err != nil {
		return fmt.Errorf("upload %d has an unreadable plan: %w", up.ID, err)
	}
	j.up, j.p = up, p
	return nil
}

// buffer returns an empty buffer for decide, one used before if there is
// one: a phase transfer's CTFs would otherwise each be garbage of their
// size.
func (r *Router) buffer() *bytes.Buffer {
	b, _ := r.bufs.Get().(*bytes.Buffer)
	if b == nil {
		return new(bytes.Buffer)
	}
	b.Reset()
	return b
}

// smallFile is the largest file decide reads whole into memory.
const smallFile = 1 << 20

// decide validates a file and plans where it goes.
func (r *Router) decide(ctx context.Context, lk *lookups, k key, who Sender, src string) (plan, int64, string, error) {
	f, err := spool.OpenFile(src, os.O_RDONLY, 0)
	if err != nil {
		return plan{}, 0, "", err
	}
	defer f.Close()
	// A small file, a CTF as MIS software sends, is read once, hashed
	// and validated from memory; a larger one is hashed as it is read,
	// and read again to validate.
	var data []byte
	var size int64
	var sum string
	if fi, err := f.Stat(); err == nil && fi.Size() <= smallFile {
		buf := r.buffer()
		defer r.bufs.Put(buf) // nothing decide returns refers to data
		buf.Grow(int(fi.Size()) + bytes.MinRead)
		if _, err := buf.ReadFrom(f); err != nil {
			return plan{}, 0, "", err
		}
		data, size = buf.Bytes(), int64(buf.Len())
		h := sha256.Sum256(data)
		sum = hex.EncodeToString(h[:])
	} else {
		h := sha256.New()
		if size, err = io.Copy(h, f); err != nil {
			return plan{}, 0, "", err
		}
		sum = hex.EncodeToString(h.Sum(nil))
	}
	reject := func(reasons ...string) (plan, int64, string, error) {
		return plan{Reject: true, Reasons: reasons, DestPath: spoolRel(k.box, spool.Rejected, k.name)}, size, sum, nil
	}

	d, err := r.check(ctx, lk, who, k.name)
	if err != nil {
		return reject(err.Error())
	}
	n := d.name
	kind := d.sender.Kind
	if who.Mailbox == "" {
		kind = ""
	}
	if limit := routing.SizeLimit(n, kind, r.cfg.Limits); size > limit {
		return reject(fmt.Sprintf("the file is %d bytes, over the %d-byte limit for this kind of file", size, limit))
	}
	p := plan{
		Kind: strings.ToLower(string(n.Type)), Sender: n.Source.Value, SenderLA: n.Source.LA,
		Addressed: n.Dest.Value, Dest: d.dest.Value, DestLA: d.dest.LA, Lost: n.IsLost(),
	}
	if n.IsXML() {
		opts := routing.CTFOptions{MaxSize: r.cfg.Limits.CTFMax, Admissions: n.Dest.Kind == routing.KindLAAdmissions || n.Source.Kind == routing.KindLAAdmissions}
		var info *routing.CTFInfo
		if data != nil {
			info, err = routing.ReadCTFData(data, opts)
		} else if _, err = f.Seek(0, io.SeekStart); err == nil {
			info, err = routing.ReadCTF(f, opts)
		} else {
			return plan{}, 0, "", err
		}
		if err != nil {
			return reject(err.Error())
		}
		validate := routing.ValidateCTF
		if who.Forward {
			validate = routing.ValidateForwardedCTF
		}
		v := validate(info, n, d.sender, r.cfg.Now())
		if !v.OK() {
			reasons := make([]string, len(v.Errors))
			for i, e := range v.Errors {
				reasons[i] = e.Error()
			}
			return reject(reasons...)
		}
		p.Pupils, p.Warnings = len(info.Pupils), v.Warnings
	} else if err := routing.CheckZip(f, size); err != nil {
		return reject(err.Error())
	}

	switch {
	case p.Lost:
		p.DestPath = filepath.Join("lost", randomToken()+"_"+k.name)
	default:
		p.DestPath = spoolRel(d.dest.Value, spool.Inbox, k.name)
	}
	if n.Type == routing.TypeCTF {
		p.Copies, err = r.copies(ctx, lk, n, d)
		if err != nil {
			return plan{}, 0, "", err
		}
	}
	return p, size, sum, nil
}

// copies lists the LA copies of a CTF: to the sending school's LA and the
// receiving school's LA, where they have copies on, and never to an LA
// that sent or receives the file itself.
func (r *Router) copies(ctx context.Context, lk *lookups, n routing.Name, d destination) ([]ledger.Copy, error) {
	var out []ledger.Copy
	seen := map[string]bool{n.Source.Value: true, d.dest.Value: true}
	for _, c := range []routing.Code{n.Source, d.dest} {
		if c.Kind != routing.KindSchool {
			continue
		}
		la := routing.LACode(c.LA)
		if seen[la] {
			continue
		}
		seen[la] = true
		m, err := lk.mailbox(ctx, la)
		if errors.Is(err, ledger.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if !m.Copies || m.Status != ledger.StatusOpen {
			continue
		}
		name := n.Original
		for i := 2; ; i++ {
			if _, err := os.Lstat(r.cfg.abs(spoolRel(la, spool.Copies, name))); errors.Is(err, os.ErrNotExist) {
				break
			}
			ext := filepath.Ext(n.Original)
			name = fmt.Sprintf("%s.copy%d%s", strings.TrimSuffix(n.Original, ext), i, ext)
		}
		out = append(out, ledger.Copy{LACode: la, Path: spoolRel(la, spool.Copies, name)})
	}
	return out, nil
}

func randomToken() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// recordedSender is who the file itself (spool.ReadSender) or else the
// ledger says sent a file that waited in an outbox across a restart; nil
// if it was dropped by a local process.
func (r *Router) recordedSender(ctx context.Context, k key) (*Sender, error) {
	s, ok := spool.ReadSender(r.cfg.abs(spoolRel(k.box, spool.Outbox, k.name)))
	if !ok {
		us, found, err := r.ledger.GetUploadSender(ctx, k.box, k.name)
		if err != nil || !found {
			return nil, err
		}
		s = spool.Sender{Login: us.Login, Role: us.Role, Remote: us.Remote}
	}
	who := &Sender{Login: s.Login, Mailbox: k.box, Role: routing.Role(s.Role), Remote: s.Remote}
	if k.box == spool.AdminBox {
		who.Mailbox = ""
	}
	return who, nil
}
