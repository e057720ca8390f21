package e2e

import (
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var lockedRE = regexp.MustCompile(`^Too many failed logins: this account or address is locked until (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\. Try again then, or ask your administrator to unlock the account\.\r\n$`)

// assertLockedBanner checks the lockout banner and that its time is the
// one-minute lockout the config asks for.
func assertLockedBanner(t *testing.T, banner string) {
	t.Helper()
	m := lockedRE.FindStringSubmatch(banner)
	if m == nil {
		t.Errorf("banner %q is not the lockout banner", banner)
		return
	}
	until, err := time.Parse("2006-01-02 15:04", m[1])
	if err != nil {
		t.Fatal(err)
	}
	if now := time.Now().UTC(); until.Before(now.Add(-time.Minute)) || until.After(now.Add(2*time.Minute)) {
		t.Errorf("banner says locked until %s UTC; the lockout is one minute from %s", m[1], now.Format("15:04:05"))
	}
}

// authOutcome is what auth_probe.py reports of one login attempt.
type authOutcome struct {
	Result  string   `json:"result"` // ok, partial, failed or disconnected
	Allowed []string `json:"allowed"`
	Banner  *string  `json:"banner"`
	Active  bool     `json:"active"`
	Root    []string `json:"root"`
}

// attempt is one login attempt on a new connection from source.
type attempt struct {
	name, source, user, password string
}

// tryLogins runs attempts in order and returns their outcomes by name.
func (d *daemon) tryLogins(t *testing.T, attempts ...attempt) map[string]authOutcome {
	t.Helper()
	var req []map[string]string
	for _, a := range attempts {
		req = append(req, map[string]string{"name": a.name, "source": a.source, "user": a.user, "password": a.password})
	}
	r := d.py(t, "auth_probe.py", map[string]any{"mode": "attempts", "attempts": req}, nil)
	out := map[string]authOutcome{}
	for _, a := range attempts {
		var o authOutcome
		r.ok(a.name, &o)
		out[a.name] = o
	}
	return out
}

// TestLogins checks lockouts, of accounts, of unknown logins and of
// addresses, with their banner and the admin's unlock; and the change of
// a temporary password at first login.
func TestLogins(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	t.Run("lockout", func(t *testing.T) {
		t.Parallel()
		d.user(t, "lockme", ampthill, "school")
		right := password("lockme")
		got := d.tryLogins(t,
			attempt{"wrong1", "127.0.0.2", "lockme", "wrong password 1"},
			attempt{"wrong2", "127.0.0.2", "lockme", "wrong password 2"},
			attempt{"wrong3", "127.0.0.2", "lockme", "wrong password 3"},
			attempt{"right_same_address", "127.0.0.2", "lockme", right},
			attempt{"right_other_address", "127.0.0.3", "lockme", right},
			attempt{"other_user_same_address", "127.0.0.2", "biggleswade", password("biggleswade")},
		)
		for _, n := range []string{"wrong1", "wrong2"} {
			if o := got[n]; o.Result != "failed" || o.Banner != nil {
				t.Errorf("%s: %+v, want a plain failure", n, o)
			}
		}
		for _, n := range []string{"wrong3", "right_same_address", "right_other_address"} {
			if o := got[n]; o.Result != "failed" || o.Banner == nil {
				t.Errorf("%s: %+v, want a failure with the lockout banner", n, o)
			} else {
				assertLockedBanner(t, *o.Banner)
			}
		}
		// Three failures lock the account, not the address, which
		// colleagues may share (its threshold is 5).
		if o := got["other_user_same_address"]; o.Result != "ok" {
			t.Errorf("another user from the address of the failures: %+v, want a login", o)
		}
		// OpenSSH shows the banner too.
		r := d.sftp(t, passwordLogin("lockme"), "ls /\n", "-o", "BindAddress=127.0.0.3", "-o", "LogLevel=INFO")
		if r.code == 0 || !strings.Contains(r.stderr, "Too many failed logins: this account or address is locked until ") {
			t.Errorf("OpenSSH while locked: exit %d, stderr:\n%s", r.code, r.stderr)
		}

		if out := d.cli(t, "", "user", "unlock", "lockme"); out != "unlocked lockme\n" {
			t.Errorf("user unlock printed %q", out)
		}
		got = d.tryLogins(t, attempt{"after_unlock", "127.0.0.2", "lockme", right})
		if o := got["after_unlock"]; o.Result != "ok" || !slices.Equal(o.Root, []string{"inbox", "messages", "outbox", "rejected", "reports"}) {
			t.Errorf("after user unlock: %+v, want a login", o)
		}
		d.waitAudit(t, "locked", func(e auditEvent) bool { return e.Login == "lockme" && e.Remote == "127.0.0.2" })
	})

	t.Run("address lockout", func(t *testing.T) {
		t.Parallel()
		// Five failures from one address, for five logins known or not,
		// lock the address for everyone.
		var attempts []attempt
		for i, user := range []string{"spray1", "ampthill", "spray2", "spray3", "spray4"} {
			attempts = append(attempts, attempt{fmt.Sprintf("spray%d", i+1), "127.0.0.8", user, "guess"})
		}
		attempts = append(attempts,
			attempt{"right_from_locked_address", "127.0.0.8", "biggleswade", password("biggleswade")},
			attempt{"right_elsewhere", "127.0.0.9", "biggleswade", password("biggleswade")})
		got := d.tryLogins(t, attempts...)
		for i := 1; i <= 4; i++ {
			if o := got[fmt.Sprintf("spray%d", i)]; o.Result != "failed" || o.Banner != nil {
				t.Errorf("spray%d: %+v, want a plain failure", i, o)
			}
		}
		for _, n := range []string{"spray5", "right_from_locked_address"} {
			if o := got[n]; o.Result != "failed" || o.Banner == nil {
				t.Errorf("%s: %+v, want a failure with the lockout banner", n, o)
			} else {
				assertLockedBanner(t, *o.Banner)
			}
		}
		if o := got["right_elsewhere"]; o.Result != "ok" {
			t.Errorf("the same user from another address: %+v, want a login", o)
		}
	})

	t.Run("unknown login", func(t *testing.T) {
		t.Parallel()
		// An unknown login is locked like an account, with the same
		// banner, so that lockouts tell nothing about which logins exist.
		got := d.tryLogins(t,
			attempt{"ghost1", "127.0.0.4", "ghost", "guess 1"},
			attempt{"ghost2", "127.0.0.4", "ghost", "guess 2"},
			attempt{"ghost3", "127.0.0.4", "ghost", "guess 3"},
			attempt{"ghost_other_address", "127.0.0.5", "ghost", "guess 4"},
		)
		for _, n := range []string{"ghost1", "ghost2"} {
			if o := got[n]; o.Result != "failed" || o.Banner != nil {
				t.Errorf("%s: %+v, want a plain failure", n, o)
			}
		}
		for _, n := range []string{"ghost3", "ghost_other_address"} {
			if o := got[n]; o.Result != "failed" || o.Banner == nil {
				t.Errorf("%s: %+v, want a failure with the lockout banner", n, o)
			} else {
				assertLockedBanner(t, *o.Banner)
			}
		}
	})

	// The password change of a temporary password, reached through
	// password auth's partial success (OpenSSH's way), or inside
	// keyboard-interactive after its "Password: " prompt (PuTTY's,
	// WinSCP's and FileZilla's way).
	for _, c := range []struct {
		name, login, source, other string
		keyboard                   bool
	}{
		{"temporary password", "newstaff", "127.0.0.6", "127.0.0.7", false},
		{"temporary password keyboard-interactive", "newstaff2", "127.0.0.10", "127.0.0.11", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			temp := d.tempUser(t, c.login, ampthill)
			chosen := "a brand new passphrase"
			rounds := [][]string{{"first choice 123", "first choise 123"}, {"short", "short"}, {chosen, chosen}}
			if c.keyboard {
				rounds = append([][]string{{temp}}, rounds...)
			}
			r := d.py(t, "auth_probe.py", map[string]any{
				"mode": "temp_password", "source": c.source, "user": c.login, "password": temp,
				"rounds": rounds, "keyboard": c.keyboard,
			}, nil)
			if !c.keyboard {
				var o authOutcome
				r.ok("password", &o)
				if o.Result != "partial" || !slices.Equal(o.Allowed, []string{"keyboard-interactive"}) {
					t.Errorf("temporary password: %+v, want partial success leading to keyboard-interactive", o)
				}
			}
			r.ok("change", nil)
			type prompt struct {
				Title        string  `json:"title"`
				Instructions string  `json:"instructions"`
				Prompts      [][]any `json:"prompts"`
			}
			var prompts []prompt
			r.ok("prompts", &prompts)
			pair := [][]any{{"New password: ", false}, {"Repeat new password: ", false}}
			want := []prompt{
				{"Password change", "Your password is temporary and must be changed now. Choose a new password of at least 12 characters.", pair},
				{"Password change", "The two passwords did not match. Try again.", pair},
				{"Password change", "the new password must be at least 12 characters. Try again.", pair},
			}
			if c.keyboard {
				want = append([]prompt{{"", "", [][]any{{"Password: ", false}}}}, want...)
			}
			if fmt.Sprint(prompts) != fmt.Sprint(want) {
				t.Errorf("keyboard-interactive rounds:\n%+v\nwant:\n%+v", prompts, want)
			}
			var root []string
			r.ok("root", &root)
			if !slices.Equal(root, []string{"inbox", "messages", "outbox", "rejected", "reports"}) {
				t.Errorf("after the change / lists %q", root)
			}
			got := d.tryLogins(t,
				attempt{"new", c.other, c.login, chosen},
				attempt{"temporary", c.other, c.login, temp},
			)
			if o := got["new"]; o.Result != "ok" {
				t.Errorf("the new password: %+v, want a login", o)
			}
			if o := got["temporary"]; o.Result != "failed" || o.Banner != nil {
				t.Errorf("the old temporary password: %+v, want a plain failure", o)
			}
			d.waitAudit(t, "password-changed", func(e auditEvent) bool { return e.Login == c.login && e.Remote == c.source })
		})
	}
}

// TestLimits checks MaxAuthTries on one connection, the cap on concurrent
// connections from one address, and the handshake timeout.
func TestLimits(t *testing.T) {
	t.Parallel()
	d := newDaemon(t, options{maxAuthTries: 3, lockoutThreshold: 100, addressLockout: 100, maxConnsPerAddress: 2, handshakeTimeout: "3s"})
	d.mailbox(t, ampthill, "Ampthill Lower School", "office@ampthill.sch.uk")
	d.user(t, "ampthill", ampthill, "school")
	d.start(t)

	t.Run("max auth tries", func(t *testing.T) {
		r := d.py(t, "auth_probe.py", map[string]any{
			"mode": "max_tries", "source": "127.0.0.2", "user": "ampthill",
			"passwords": []string{"wrong 1", "wrong 2", "wrong 3", password("ampthill")},
		}, nil)
		want := map[string]authOutcome{
			"try1": {Result: "failed", Active: true},
			"try2": {Result: "failed", Active: true},
			"try3": {Result: "failed", Active: false}, // the server disconnects
			"try4": {Result: "disconnected", Active: false},
		}
		for n, w := range want {
			var o authOutcome
			r.ok(n, &o)
			if o.Result != w.Result || o.Active != w.Active {
				t.Errorf("%s: %+v, want result %s, connection active %t", n, o, w.Result, w.Active)
			}
		}
	})

	t.Run("connections per address", func(t *testing.T) {
		r := d.py(t, "auth_probe.py", map[string]any{
			"mode": "conn_limit", "source": "127.0.0.3", "other": "127.0.0.4", "user": "ampthill", "password": password("ampthill"), "hold": 2,
		}, nil)
		root := []string{"inbox", "messages", "outbox", "rejected", "reports"}
		for _, s := range []string{"hold1", "hold2", "other_source", "after_release"} {
			var got []string
			r.ok(s, &got)
			if !slices.Equal(got, root) {
				t.Errorf("%s lists / as %q", s, got)
			}
		}
		var raw string
		r.ok("extra_raw", &raw)
		if raw != "" {
			t.Errorf("a third connection from the address received %q; want it closed before the SSH version line", raw)
		}
		// paramiko adds the socket error when the close came as a reset.
		if s := r.get("extra_paramiko"); s.OK || !strings.HasPrefix(s.Msg, "Error reading SSH protocol banner") {
			t.Errorf("paramiko's third connection from the address: ok=%t %q; want it closed before the SSH version line", s.OK, s.Msg)
		}
	})

	t.Run("handshake timeout", func(t *testing.T) {
		// A client that connects and never logs in is cut off.
		dialer := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.5")}}
		c, err := dialer.Dial("tcp", d.addr())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		c.SetDeadline(start.Add(20 * time.Second))
		b := make([]byte, 256)
		n, err := c.Read(b)
		if err != nil || !strings.HasPrefix(string(b[:n]), "SSH-2.0-s2sd\r\n") {
			t.Fatalf("read %q, %v; want the server's version line", b[:n], err)
		}
		for err == nil {
			_, err = c.Read(b)
		}
		if took := time.Since(start); errors.Is(err, os.ErrDeadlineExceeded) || took < 2*time.Second {
			t.Errorf("an idle connection ended after %v with %v; want it closed by the server after the 3s handshake timeout", took, err)
		}
	})
}
