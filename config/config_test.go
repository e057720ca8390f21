package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/s2sd/s2sd/mailer"
)

func TestDefaultsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:2022" || c.SFTP.RecentWindow != 10*time.Minute {
		t.Fatalf("defaults changed: %+v", c)
	}
	las := c.LANumberSet()
	for _, n := range []string{"823", "660", "681", "201", "941"} {
		if !las.Valid(n) {
			t.Errorf("LA %s missing from defaults", n)
		}
	}
	if las.Valid("999") || las.Valid("659") {
		t.Error("invalid LA number in defaults")
	}
}

func TestDecodeStrict(t *testing.T) {
	c := Default()
	err := c.Decode(strings.NewReader("listen = \"0.0.0.0:22\"\nlisten_addr = 1\n[sftp]\nrecent_windw = \"1m\"\n"))
	if err == nil || err.Error() != "unknown key(s) listen_addr, sftp.recent_windw: check the spelling against the example config" {
		t.Fatalf("unknown keys: %v", err)
	}
	c = Default()
	if err := c.Decode(strings.NewReader("[sftp]\nrecent_window = \"90s\"\n[auth]\nlockout_threshold = 3\n")); err != nil {
		t.Fatal(err)
	}
	if c.SFTP.RecentWindow != 90*time.Second || c.Auth.LockoutThreshold != 3 || c.Listen != "127.0.0.1:2022" {
		t.Fatalf("decoded %+v", c)
	}
}

func TestValidateNamesField(t *testing.T) {
	c := Default()
	c.Auth.LockoutThreshold = 0
	var ve *ValidationError
	if err := c.Validate(); !errors.As(err, &ve) || err.Error() != "config: auth.lockout_threshold: must be greater than zero" {
		t.Fatalf("got %v", err)
	}
	c = Default()
	c.LANumbers = []string{"82"}
	if err := c.Validate(); err == nil || err.Error() != `config: la_numbers: LA number "82" must be exactly 3 digits` {
		t.Fatalf("got %v", err)
	}
}

func TestDecodeBadValue(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{"[sftp]\nrecent_window = \"ten minutes\"\n", `toml: line 2 (last key "sftp.recent_window"): invalid duration: "ten minutes"`},
		{"[auth]\nlockout_threshold = \"five\"\n", `toml: line 2 (last key "auth.lockout_threshold"): incompatible types: TOML value has type string; destination has type integer`},
		{"[ssh]\nciphers = \"aes128-ctr\"\n", `toml: line 2 (last key "ssh.ciphers"): incompatible types: TOML value has type string; destination has type slice`},
	} {
		c := Default()
		if err := c.Decode(strings.NewReader(tc.doc)); err == nil || err.Error() != tc.want {
			t.Errorf("%q: got %v, want %s", tc.doc, err, tc.want)
		}
	}
}

func TestLoadFileErrorsNameFileAndField(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s2sd.toml")
	if err := os.WriteFile(path, []byte("[daemon]\nshutdown_grace = \"0s\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, nil); err == nil || err.Error() != "config: daemon.shutdown_grace: must be greater than zero" {
		t.Fatalf("got %v", err)
	}
	if err := os.WriteFile(path, []byte("[metrics]\nlisten = \"9122\"\n[log]\nlevel = \"info\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, nil); err == nil || err.Error() != `config: metrics.listen: "9122" is not host:port; leave it empty to serve no metrics` {
		t.Fatalf("got %v", err)
	}
	if err := os.WriteFile(path, []byte("[mail]\nfrom = \"nobody\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, nil); err == nil || err.Error() != `config: mail.from: "nobody" is not an email address: mail: missing '@' or angle-addr` {
		t.Fatalf("got %v", err)
	}
	if err := os.WriteFile(path, []byte("[sftp]\nrecent_windw = \"1m\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, nil); err == nil || err.Error() != "config "+path+": unknown key(s) sftp.recent_windw: check the spelling against the example config" {
		t.Fatalf("got %v", err)
	}
}

func TestEnvOverride(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s2sd.toml")
	if err := os.WriteFile(path, []byte("listen = \"127.0.0.1:2022\"\n[sftp]\nrecent_window = \"1m\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"S2SD_DATA":                    "/srv/s2sd",
		"S2SD_LISTEN":                  "127.0.0.1:2222",
		"S2SD_SFTP_RECENT_WINDOW":      "5m",
		"S2SD_SFTP_MAX_CTF_SIZE":       "1048576",
		"S2SD_SSH_CIPHERS":             "aes128-ctr, aes256-gcm@openssh.com",
		"S2SD_MAIL_SMTP_HOST":          "smtp.example.gov.uk",
		"S2SD_MAIL_SMTP_TLS":           "tls",
		"S2SD_MAIL_SMTP_USERNAME":      "s2sd",
		"S2SD_MAIL_SMTP_PASSWORD":      "hunter2-hunter2",
		"S2SD_MAIL_JITTER":             "0.5",
		"S2SD_RETENTION_REJECTED_DAYS": "7",
		"S2SD_LOG_LEVEL":               "debug",
		"S2SD_METRICS_LISTEN":          "",
	}
	c, src, err := LoadSource(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Data, want.Listen = "/srv/s2sd", "127.0.0.1:2222"
	want.SFTP.RecentWindow, want.SFTP.MaxCTFSize = 5*time.Minute, 1<<20
	want.SSH.Ciphers = []string{"aes128-ctr", "aes256-gcm@openssh.com"}
	want.Mail.SMTP.Host, want.Mail.SMTP.TLS = "smtp.example.gov.uk", mailer.TLSImplicit
	want.Mail.SMTP.Username, want.Mail.SMTP.Password = "s2sd", "hunter2-hunter2"
	want.Mail.Jitter, want.Retention.RejectedDays, want.Log.Level = 0.5, 7, "debug"
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v\nwant %+v", c, want)
	}
	wantEnv := []string{"S2SD_DATA", "S2SD_LISTEN", "S2SD_LOG_LEVEL", "S2SD_SFTP_RECENT_WINDOW", "S2SD_SFTP_MAX_CTF_SIZE",
		"S2SD_SSH_CIPHERS", "S2SD_MAIL_SMTP_HOST", "S2SD_MAIL_SMTP_TLS", "S2SD_MAIL_SMTP_USERNAME",
		"S2SD_MAIL_SMTP_PASSWORD", "S2SD_MAIL_JITTER", "S2SD_RETENTION_REJECTED_DAYS"}
	if src.File != path || !slices.Equal(src.Env, wantEnv) {
		t.Fatalf("source %+v, want file %s and env %v", src, path, wantEnv)
	}
}

func TestEnvErrorsNameVariable(t *testing.T) {
	for _, tc := range []struct{ name, value, want string }{
		{"S2SD_SFTP_RECENT_WINDOW", "5", `config: S2SD_SFTP_RECENT_WINDOW (sftp.recent_window): "5" is not a duration such as 90s, 10m or 1h`},
		{"S2SD_AUTH_LOCKOUT_THRESHOLD", "many", `config: S2SD_AUTH_LOCKOUT_THRESHOLD (auth.lockout_threshold): "many" is not a whole number`},
		{"S2SD_MAIL_JITTER", "lots", `config: S2SD_MAIL_JITTER (mail.jitter): "lots" is not a number`},
		{"S2SD_AUTH_LOCKOUT_THRESHOLD", "0", "config: auth.lockout_threshold: must be greater than zero (set by S2SD_AUTH_LOCKOUT_THRESHOLD)"},
		{"S2SD_MAIL_SMTP_TLS", "ssl", `config: mail.smtp.tls: "ssl" is not one of starttls, opportunistic, tls, none (set by S2SD_MAIL_SMTP_TLS)`},
	} {
		_, err := Load("", func(k string) string {
			if k == tc.name {
				return tc.value
			}
			return ""
		})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s=%s: got %v\nwant %s", tc.name, tc.value, err, tc.want)
		}
	}
}

// TestEveryKeyHasDistinctEnvName guards S2SD_<SECTION>_<KEY> against two
// keys mapping to one variable, and checks every setting can be set from
// the environment.
func TestEveryKeyHasDistinctEnvName(t *testing.T) {
	c := Default()
	seen := map[string]string{}
	for _, s := range c.Settings() {
		name := EnvName(s.Key)
		if other, ok := seen[name]; ok {
			t.Errorf("%s and %s both map to %s", other, s.Key, name)
		}
		seen[name] = s.Key
		probe := reflect.New(s.Value.Type()).Elem()
		if err := setString(probe, "1"); err != nil && strings.Contains(err.Error(), "cannot be set") {
			t.Errorf("%s: %v", s.Key, err)
		}
	}
	if len(seen) < 40 {
		t.Fatalf("only %d settings found", len(seen))
	}
}

func TestUnknownEnv(t *testing.T) {
	got := UnknownEnv([]string{"HOME=/root", "S2SD_CONFIG=/etc/s2sd/s2sd.toml", "S2SD_DATA=/var/lib/s2sd",
		"S2SD_SFTP_RECENT_WINDOWW=5m", "S2SD_SMTP_HOST=x", "S2SD_MAIL_SMTP_HOST=y", "S2SD_TEST_MAIN=1"})
	if want := []string{"S2SD_SFTP_RECENT_WINDOWW", "S2SD_SMTP_HOST"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
