package mailer

import (
	"bytes"
	"context"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestEMLTransport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mail")
	// A crash left a partly written file behind: NewEML removes it.
	os.MkdirAll(dir, 0o750)
	if err := os.WriteFile(filepath.Join(dir, tempPrefix+"20261124T101500Z-000001-123"), []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	tr, err := NewEML(dir, "S2S transfer service <s2s@example.gov.uk>")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ms := sampleNotices(sampleInputs)
	for i := range ms {
		ms[i].ID = int64(121 + i)
		ms[i].Date = t0.Add(time.Duration(i) * time.Second)
		if err := tr.Send(ctx, ms[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.Sync(ctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	names := emlFiles(t, dir)
	if len(names) != len(ms) {
		t.Fatalf("%d files, want %d: %v", len(names), len(ms), names)
	}
	if names[0] != "20261124T101500Z-000121.eml" || names[1] != "20261124T101501Z-000122.eml" {
		t.Fatalf("file names %v", names[:2])
	}
	if !slices.IsSorted(names) {
		t.Fatalf("names do not sort by time: %v", names)
	}

	for i, m := range ms {
		data, err := os.ReadFile(filepath.Join(dir, EMLName(m)))
		if err != nil {
			t.Fatal(err)
		}
		r := received{Data: data}
		msg, body := r.parse(t)
		h := msg.Header
		from, err := mail.ParseAddress(h.Get("From"))
		if err != nil || from.Address != "s2s@example.gov.uk" || from.Name != "S2S transfer service" {
			t.Errorf("From %q: %v", h.Get("From"), err)
		}
		to, err := h.AddressList("To")
		if err != nil {
			t.Fatal(err)
		}
		var addrs []string
		for _, a := range to {
			addrs = append(addrs, a.Address)
		}
		if !slices.Equal(addrs, m.To) {
			t.Errorf("To %v, want %v", addrs, m.To)
		}
		if s, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); s != m.Subject {
			t.Errorf("Subject %q, want %q", s, m.Subject)
		}
		if d, err := h.Date(); err != nil || !d.Equal(m.Date) {
			t.Errorf("Date %q (%v), want %s", h.Get("Date"), err, m.Date)
		}
		wantID := "<s2sd." + strconv.FormatInt(m.ID, 10) + "." + m.Date.Format("20060102T150405.000000Z") + "@example.gov.uk>"
		if h.Get("Message-ID") != wantID {
			t.Errorf("Message-ID %q, want %q", h.Get("Message-ID"), wantID)
		}
		if h.Get("MIME-Version") != "1.0" {
			t.Errorf("MIME-Version %q", h.Get("MIME-Version"))
		}
		mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
		if err != nil || mt != "text/plain" || !strings.EqualFold(params["charset"], "utf-8") {
			t.Errorf("Content-Type %q", h.Get("Content-Type"))
		}
		if h.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("Auto-Submitted %q", h.Get("Auto-Submitted"))
		}
		if body != m.Body {
			t.Errorf("notice %d: body differs:\n--- got\n%s\n--- want\n%s", i, body, m.Body)
		}
		if n, crlf := bytes.Count(data, []byte("\n")), bytes.Count(data, []byte("\r\n")); n != crlf {
			t.Errorf("%d of %d lines do not end in CRLF", n-crlf, n)
		}
	}

	// Sent again (after a crash before MailSent committed), a message
	// replaces its own file with the same bytes.
	first, _ := os.ReadFile(filepath.Join(dir, EMLName(ms[0])))
	if err := tr.Send(ctx, ms[0]); err != nil {
		t.Fatal(err)
	}
	again, _ := os.ReadFile(filepath.Join(dir, EMLName(ms[0])))
	if got := emlFiles(t, dir); len(got) != len(ms) {
		t.Fatalf("after a re-send: %d files, want %d", len(got), len(ms))
	}
	if !bytes.Equal(first, again) {
		t.Fatalf("a re-send changed the file:\n%s\n---\n%s", first, again)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*")); len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
	// The password notice's file is readable by the service only.
	if fi, err := os.Stat(filepath.Join(dir, EMLName(ms[14]))); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("password notice file mode %v, %v", fi.Mode(), err)
	}
}

func TestEMLBadRecipientIsPermanent(t *testing.T) {
	tr, err := NewEML(t.TempDir(), Default().From)
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Send(context.Background(), Message{ID: 1, Date: t0, Kind: "k", To: []string{"not an address"}, Subject: "s", Body: "b"})
	if err == nil || !Permanent(err) {
		t.Fatalf("Send to a bad address: %v (permanent %v); want a permanent error", err, Permanent(err))
	}
}

func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}
