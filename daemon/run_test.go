package daemon

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/internal/ctftest"
	"github.com/s2sd/s2sd/internal/metricstest"
)

// TestEndToEndRun runs the daemon as serve does, with a logger writing to
// a buffer: a failed login, a good one, an upload of a CTF routed to
// another school, and its download. Its logs must hold the fields that
// make them useful and none of the secrets or pupil data that went
// through it; its metrics must have counted it all.
func TestEndToEndRun(t *testing.T) {
	const (
		sender, recipient   = "8231234", "8232345"
		senderPW, recipPW   = "correct-horse-battery-staple", "tr0ub4dor&3-tr0ub4dor"
		wrongPW             = "Wrong-Password-Guess-42"
		surname, serial     = "Quixotically", 417
		name                = sender + "_CTF_" + recipient + "_001.XML"
		dob, town, postcode = "2015-01-10", "Fernhollow", "ZZ99 1AA"
	)
	upn := ctftest.UPN(sender[:3], sender[3:], serial)
	doc := ctftest.CTF(ctftest.Options{SourceLEA: sender[:3], SourceEstab: sender[3:], DestLEA: recipient[:3],
		DestEstab: recipient[3:], Serial: serial, Surname: surname})
	for _, s := range []string{upn, surname, "<DOB>" + dob, town, postcode} {
		if !strings.Contains(doc, s) {
			t.Fatalf("the fixture does not hold %q: the test would prove nothing", s)
		}
	}

	var logs syncBuffer
	lw := NewLevelWriter(&logs, zerolog.TraceLevel) // everything, debug included
	cfg := testConfig(t)
	r := runDaemon(t, cfg, zerolog.New(lw).With().Timestamp().Logger(), Options{Levels: lw})
	d := r.d
	addUser(t, d, "hilltop", sender, senderPW)
	addUser(t, d, "valley", recipient, recipPW)
	addr := d.SFTP.Addr().String()
	metricsURL := "http://" + d.MetricsServer.Addr().String()

	waitFor(t, "/readyz to answer 200", 10*time.Second, func() bool {
		code, _ := metricstest.Get(t, metricsURL+"/readyz")
		return code == http.StatusOK
	})
	if code, body := metricstest.Get(t, metricsURL+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}

	if _, _, err := dial(addr, "hilltop", wrongPW); err == nil {
		t.Fatal("a wrong password logged in")
	}
	c, closeSender, err := dial(addr, "hilltop", senderPW)
	if err != nil {
		t.Fatal(err)
	}
	f, err := c.Create("/outbox/" + name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(doc)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("upload not acknowledged: %v", err)
	}
	waitFor(t, "the upload to be routed", 20*time.Second, func() bool {
		_, body := metricstest.Get(t, metricsURL+"/metrics")
		return metricstest.Sample(body, `s2sd_routed_files_total{outcome="routed"}`) == "1"
	})
	rc, closeRecipient, err := dial(addr, "valley", recipPW)
	if err != nil {
		t.Fatal(err)
	}
	in, err := rc.Open("/inbox/" + name)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(in)
	in.Close()
	if err != nil || string(got) != doc {
		t.Fatalf("download: %d bytes, %v", len(got), err)
	}

	_, body := metricstest.Get(t, metricsURL+"/metrics")
	for series, want := range map[string]string{
		`s2sd_logins_total{outcome="ok"}`:             "2",
		`s2sd_logins_total{outcome="failed"}`:         "1",
		`s2sd_logins_total{outcome="locked"}`:         "0",
		"s2sd_sftp_sessions":                          "2",
		"s2sd_uploads_acknowledged_total":             "1",
		"s2sd_upload_durable_seconds_count":           "1",
		`s2sd_routed_files_total{outcome="routed"}`:   "1",
		`s2sd_routed_files_total{outcome="rejected"}`: "0",
		"s2sd_routing_latency_seconds_count":          "1",
	} {
		if got := metricstest.Sample(body, series); got != want {
			t.Errorf("%s = %q, want %q", series, got, want)
		}
	}
	// The acknowledgement's fsyncs and move took some time, and far less
	// than the test.
	if d, err := strconv.ParseFloat(metricstest.Sample(body, "s2sd_upload_durable_seconds_sum"), 64); err != nil || d <= 0 || d > 10 {
		t.Errorf("s2sd_upload_durable_seconds_sum = %v (%v), want a time above 0 s and under 10 s", d, err)
	}
	if q := metricstest.Sample(body, `s2sd_mail_queue{state="queued"}`); q == "" {
		t.Error("no mail queue depth")
	}
	closeSender()
	closeRecipient()
	waitFor(t, "the sessions to close", 10*time.Second, func() bool {
		_, body := metricstest.Get(t, metricsURL+"/metrics")
		return metricstest.Sample(body, "s2sd_sftp_sessions") == "0"
	})

	if err := r.shutdown(t); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	out := logs.String()
	for _, want := range []string{
		`"message":"upload acknowledged"`, `"message":"upload routed"`, `"user":"hilltop"`,
		`"remote":"127.0.0.1"`, `"file":"` + name + `"`, `"message":"authentication attempt"`, `"message":"shutting down"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the logs lack %s", want)
		}
	}
	for what, secret := range map[string]string{
		"the sender's password": senderPW, "the recipient's password": recipPW, "the wrong password": wrongPW,
		"the UPN": upn, "the surname": surname, "the forename": "Pupil0", "the date of birth": dob,
		"the town": town, "the postcode": postcode,
	} {
		if strings.Contains(out, secret) {
			t.Errorf("the logs hold %s (%q)", what, secret)
		}
	}
	if t.Failed() {
		t.Logf("logs:\n%s", out)
	}
}
