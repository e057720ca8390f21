package e2e

import (
	"bytes"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s2sd/s2sd/internal/smtptest"
)

// smtpSink is a real SMTP server on loopback (internal/smtptest), plain
// and without authentication, that can be stopped and started again on
// the same port.
type smtpSink struct {
	*smtptest.Server
}

// sunk is one accepted message.
type sunk struct {
	id, subject string
	rcpts       []string
}

func newSMTPSink(t *testing.T) *smtpSink {
	return &smtpSink{smtptest.New(t, smtptest.Options{})}
}

// received returns the messages accepted so far, each with its
// Message-ID, decoded subject and sorted recipients.
func (s *smtpSink) received() []sunk {
	var out []sunk
	for _, m := range s.Received() {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			// Kept, under a subject no test expects, so that counts fail.
			out = append(out, sunk{subject: "unreadable message: " + err.Error(), rcpts: m.Rcpts})
			continue
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		rcpts := slices.Clone(m.Rcpts)
		slices.Sort(rcpts)
		out = append(out, sunk{id: msg.Header.Get("Message-Id"), subject: subject, rcpts: rcpts})
	}
	return out
}

// mailConfig points the daemon at the sink, with quick retries.
func (s *smtpSink) mailConfig() string {
	host, port, _ := net.SplitHostPort(s.Addr)
	return fmt.Sprintf(`
[mail]
from = "S2S <s2s@example.gov.uk>"
backoff_base = "1s"
backoff_max = "2s"
jitter = 0.0

[mail.smtp]
host = %q
port = %s
tls = "none"
timeout = "5s"
`, host, port)
}

// waitTransferNotices waits until the sink holds n transfer notices
// (those about files), and returns them by subject.
func (s *smtpSink) waitTransferNotices(t *testing.T, n int, within time.Duration) map[string][]sunk {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := map[string][]sunk{}
		count := 0
		for _, m := range s.received() {
			if strings.Contains(m.subject, "account") {
				continue
			}
			got[m.subject] = append(got[m.subject], m)
			count++
		}
		if count >= n || time.Now().After(deadline) {
			if count != n {
				t.Fatalf("%d transfer notices, want %d: %v", count, n, got)
			}
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestMailNotices sends files through the real daemon with a real SMTP
// server on loopback: each notice reaches exactly its recipients; with
// the server down for a while every notice arrives once it is back, none
// twice; a graceful restart loses and repeats nothing.
func TestMailNotices(t *testing.T) {
	t.Parallel()
	sink := newSMTPSink(t)
	sink.Start()
	d := schools(t, options{extra: sink.mailConfig()})
	send := func(seq int) string {
		name, data := ctf(ampthill, biggleswade, seq, 2_000)
		if r := d.sftp(t, passwordLogin("ampthill"), "put "+d.localFile(t, name, data)+" /outbox/"+name+"\n"); r.code != 0 {
			t.Fatalf("sftp put: exit %d\n%s", r.code, r.stderr)
		}
		return name
	}

	first := send(1)
	got := sink.waitTransferNotices(t, 2, 10*time.Second)
	confirm := "S2S: " + first + " sent to " + biggleswade + " Biggleswade Academy"
	waiting := "S2S: file waiting from " + ampthill + " Ampthill Lower School"
	if m := got[confirm]; len(m) != 1 || !slices.Equal(m[0].rcpts, []string{"ampthill@example.sch.uk", "office@ampthill.sch.uk"}) {
		t.Errorf("confirmation: %+v (all: %v)", m, got)
	}
	if m := got[waiting]; len(m) != 1 || !slices.Equal(m[0].rcpts, []string{"biggleswade@example.sch.uk", "office@biggleswade.sch.uk"}) {
		t.Errorf("file waiting: %+v (all: %v)", m, got)
	}

	// The server goes down; files keep flowing; it comes back.
	sink.Stop()
	for seq := 2; seq <= 6; seq++ {
		send(seq)
	}
	time.Sleep(2 * time.Second) // several failed attempts
	sink.Start()
	got = sink.waitTransferNotices(t, 12, 20*time.Second)
	ids := map[string]int{}
	for _, ms := range got {
		for _, m := range ms {
			ids[m.id]++
		}
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("message %s delivered %d times", id, n)
		}
	}

	// A graceful restart with mail queued: nothing lost, nothing twice.
	sink.Stop()
	send(7)
	d.stop(t)
	sink.Start()
	d.start(t)
	got = sink.waitTransferNotices(t, 14, 20*time.Second)
	time.Sleep(1 * time.Second)
	if n := len(sink.received()); n != 14+2 { // and the two account emails
		t.Errorf("%d messages in all after the restart, want 16", n)
	}
}

// TestMailKilledMidDelivery kills the daemon with SIGKILL while notices
// are being delivered to a slow server, and restarts it: every notice
// arrives. SMTP cannot make the very deliveries in flight at the kill
// exactly-once (the server may have taken one whose success was never
// recorded); those may come twice, with the same Message-ID so mail
// clients fold them, and no more than the worker's concurrency of them.
func TestMailKilledMidDelivery(t *testing.T) {
	t.Parallel()
	sink := newSMTPSink(t)
	sink.SetDelay(300 * time.Millisecond)
	sink.Start()
	d := schools(t, options{extra: sink.mailConfig()})
	// One session per file: files sent together are routed in one batch,
	// whose notices are gathered into one per recipient, and this test
	// needs twenty notices in flight.
	for seq := 1; seq <= 10; seq++ {
		name, data := ctf(ampthill, biggleswade, seq, 2_000)
		if r := d.sftp(t, passwordLogin("ampthill"), fmt.Sprintf("put %s /outbox/%s\n", d.localFile(t, name, data), name)); r.code != 0 {
			t.Fatalf("sftp put: exit %d\n%s", r.code, r.stderr)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(sink.received()) < 5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	d.crash(t)
	before := len(sink.received())
	d.start(t)
	got := map[string]int{} // deliveries by Message-ID
	deadline = time.Now().Add(30 * time.Second)
	for {
		got = map[string]int{}
		for _, m := range sink.received() {
			if !strings.Contains(m.subject, "account") {
				got[m.id]++
			}
		}
		if len(got) == 20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(got) != 20 {
		db := openLedger(t, d.data+"/ledger.db")
		rows, _ := db.Query(`SELECT kind, state, attempts, next_attempt_at, last_error FROM mail_outbox ORDER BY id`)
		var dump strings.Builder
		for rows.Next() {
			var kind, state, next, lastErr string
			var attempts int
			rows.Scan(&kind, &state, &attempts, &next, &lastErr)
			fmt.Fprintf(&dump, "%s %s %d %s %s\n", kind, state, attempts, next, lastErr)
		}
		rows.Close()
		t.Fatalf("%d distinct transfer notices after the restart, want 20 (%d delivered before the kill)\noutbox:\n%s\n%s",
			len(got), before, dump.String(), d.logText())
	}
	repeats := 0
	for id, n := range got {
		repeats += n - 1
		if n > 2 {
			t.Errorf("%s delivered %d times", id, n)
		}
	}
	if repeats > 4 {
		t.Errorf("%d notices repeated after the kill, more than the 4 deliveries in flight", repeats)
	}
}
