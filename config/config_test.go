package config

import (
	"errors"
	"strings"
	"testing"
	"time"
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

func TestEnvOverride(t *testing.T) {
	env := map[string]string{"S2SD_DATA": "/srv/s2sd", "S2SD_LISTEN": "127.0.0.1:2222"}
	c, err := Load("", func(k string) string { return env[k] })
	if err != nil || c.Data != "/srv/s2sd" || c.Listen != "127.0.0.1:2222" {
		t.Fatalf("got %+v, %v", c, err)
	}
}
