// Package config holds s2sd's configuration: defaults in code, an optional
// TOML file decoded strictly, and S2SD_… environment overrides.
package config

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/jobs"
	"github.com/s2sd/s2sd/mailer"
	"github.com/s2sd/s2sd/routing"
)

//go:generate go test -run ^TestExampleConfigInSync$ -update

// Config is the whole configuration of one s2sd instance. The doc
// comments of its fields are the documentation of the example config,
// s2sd.example.toml, which is generated from them (see example_test.go).
type Config struct {
	// Data is the data directory: host keys, ledger, mailboxes and mail.
	// A relative path is taken from the working directory.
	Data string `toml:"data"`
	// Listen is the SFTP listen address, host:port. A port below 1024 needs
	// CAP_NET_BIND_SERVICE (see s2sd.service).
	Listen string `toml:"listen"`
	// LANumbers lists the valid 3-digit LA numbers; empty means the
	// English and Welsh LA numbers.
	LANumbers []string `toml:"la_numbers"`
	// PersonalDomains are email domains refused for users.
	PersonalDomains []string `toml:"personal_domains"`

	// Daemon configures the serving process.
	Daemon Daemon `toml:"daemon"`
	// Log configures the log written to stdout.
	Log Log `toml:"log"`
	// Metrics configures the Prometheus metrics listener.
	Metrics Metrics `toml:"metrics"`
	// SFTP configures the mailbox view.
	SFTP SFTP `toml:"sftp"`
	// Auth configures authentication and lockout.
	Auth Auth `toml:"auth"`
	// SSH configures the SSH transport.
	SSH SSH `toml:"ssh"`
	// Mail configures the notices: who they are from, how they leave, and
	// how long the outbox keeps trying.
	Mail mailer.Mail `toml:"mail"`
	// Retention holds the retention periods of SPEC section 5.
	Retention jobs.Rules `toml:"retention"`
	// Schedule holds when the jobs run: cron expressions (minute hour day
	// month weekday) in UK time.
	Schedule jobs.Schedule `toml:"schedule"`
}

// Daemon configures the serving process.
type Daemon struct {
	// ShutdownGrace is how long, after SIGTERM, uploads in flight may take
	// to finish. Sessions with no upload in flight are closed at once; an
	// upload still unfinished at the end is discarded, never routed. Keep
	// it below the unit's TimeoutStopSec.
	ShutdownGrace time.Duration `toml:"shutdown_grace"`
}

// Log configures the log.
type Log struct {
	// Level is the least severe level logged: trace, debug, info, warn or
	// error. SIGHUP applies a change.
	Level string `toml:"level"`
}

var logLevels = map[string]zerolog.Level{
	"trace": zerolog.TraceLevel, "debug": zerolog.DebugLevel, "info": zerolog.InfoLevel,
	"warn": zerolog.WarnLevel, "error": zerolog.ErrorLevel,
}

// ZerologLevel returns the level Level names.
func (l Log) ZerologLevel() (zerolog.Level, error) {
	lvl, ok := logLevels[l.Level]
	if !ok {
		return zerolog.NoLevel, fmt.Errorf("%q is not one of trace, debug, info, warn, error", l.Level)
	}
	return lvl, nil
}

// Metrics configures the metrics listener.
type Metrics struct {
	// Listen is the HTTP address serving /metrics (Prometheus), /healthz
	// and /readyz. Keep it on loopback: it has no authentication. Empty
	// disables it. SIGHUP applies a change.
	Listen string `toml:"listen"`
}

// SFTP configures the mailbox view.
type SFTP struct {
	// TempSuffixes are client temporary names; a file uploaded under one is
	// complete when renamed to its final name.
	TempSuffixes []string `toml:"temp_suffixes"`
	// RecentWindow is how long a just-sent file stays visible in /outbox.
	RecentWindow time.Duration `toml:"recent_window"`
	// MaxCTFSize caps CTF, CML and CMJ files, in bytes.
	MaxCTFSize int64 `toml:"max_ctf_size"`
	// MaxGenericSchool caps generic zips sent by schools, in bytes.
	MaxGenericSchool int64 `toml:"max_generic_school"`
	// MaxGenericLA caps generic zips sent by LAs, in bytes.
	MaxGenericLA int64 `toml:"max_generic_la"`
}

// Auth configures authentication and lockout.
type Auth struct {
	// MaxConcurrentHashes caps concurrent argon2id computations; each
	// holds 19 MiB while it runs.
	MaxConcurrentHashes int `toml:"max_concurrent_hashes"`
	// LockoutThreshold is the number of consecutive failures that locks an
	// account.
	LockoutThreshold int `toml:"lockout_threshold"`
	// AddressLockoutThreshold is the number of consecutive failures from
	// one source address that lock it: higher than the per-account
	// threshold, since a school's staff often share one address.
	AddressLockoutThreshold int `toml:"address_lockout_threshold"`
	// LockoutBase is the first lockout; each further lockout doubles it, up
	// to LockoutMax.
	LockoutBase time.Duration `toml:"lockout_base"`
	// LockoutMax is the longest lockout.
	LockoutMax time.Duration `toml:"lockout_max"`
	// MinPasswordLength applies to passwords users choose.
	MinPasswordLength int `toml:"min_password_length"`
}

// SSH configures the SSH transport.
type SSH struct {
	// HandshakeTimeout bounds the SSH handshake and authentication.
	HandshakeTimeout time.Duration `toml:"handshake_timeout"`
	// MaxAuthTries is how many authentication attempts one connection may
	// make.
	MaxAuthTries int `toml:"max_auth_tries"`
	// MaxConnsPerAddress caps concurrent connections from one address.
	MaxConnsPerAddress int `toml:"max_conns_per_address"`
	// MaxConns caps concurrent connections in all.
	MaxConns int `toml:"max_conns"`
	// KeyExchanges is the key exchange allow-list.
	KeyExchanges []string `toml:"key_exchanges"`
	// Ciphers is the cipher allow-list.
	Ciphers []string `toml:"ciphers"`
	// MACs is the MAC allow-list, used with the ctr ciphers.
	MACs []string `toml:"macs"`
}

// Default returns the embedded defaults: what `s2sd serve` runs with when
// there is no config file.
func Default() Config {
	return Config{
		Data:            "s2sd-data",
		Listen:          "127.0.0.1:2022",
		LANumbers:       routing.DefaultLANumbers(),
		PersonalDomains: DefaultPersonalDomains(),
		Daemon:          Daemon{ShutdownGrace: 30 * time.Second},
		Log:             Log{Level: "info"},
		Metrics:         Metrics{Listen: "127.0.0.1:9122"},
		SFTP: SFTP{
			TempSuffixes:     []string{".filepart", ".part", ".partial", ".tmp"},
			RecentWindow:     10 * time.Minute,
			MaxCTFSize:       50 << 20,
			MaxGenericSchool: 4 << 20,
			MaxGenericLA:     10 << 20,
		},
		Auth: Auth{
			MaxConcurrentHashes:     4,
			LockoutThreshold:        5,
			AddressLockoutThreshold: 20,
			LockoutBase:             time.Minute,
			LockoutMax:              time.Hour,
			MinPasswordLength:       12,
		},
		SSH: SSH{
			HandshakeTimeout:   30 * time.Second,
			MaxAuthTries:       6,
			MaxConnsPerAddress: 64,
			MaxConns:           2000,
			KeyExchanges:       DefaultKeyExchanges(),
			Ciphers:            DefaultCiphers(),
			MACs:               DefaultMACs(),
		},
		Mail:      mailer.Default(),
		Retention: jobs.DefaultRules(),
		Schedule:  jobs.DefaultSchedule(),
	}
}

// DefaultPersonalDomains lists consumer email domains refused for users.
func DefaultPersonalDomains() []string {
	return []string{
		"aol.com", "btinternet.com", "gmail.com", "googlemail.com",
		"hotmail.co.uk", "hotmail.com", "icloud.com", "live.co.uk", "live.com",
		"me.com", "msn.com", "outlook.com", "protonmail.com", "proton.me",
		"sky.com", "talktalk.net", "virginmedia.com", "yahoo.co.uk", "yahoo.com",
	}
}

// DefaultKeyExchanges, DefaultCiphers and DefaultMACs are the SSH
// algorithm allow-lists: no SHA-1 and no CBC. They still admit Debian 12's
// libssh2 1.10 (curl) and paramiko 2.12: curve25519/ecdh-sha2 key
// exchange, aes-ctr, and hmac-sha2 MACs.
func DefaultKeyExchanges() []string {
	return []string{
		"mlkem768x25519-sha256",
		"curve25519-sha256", "curve25519-sha256@libssh.org",
		"ecdh-sha2-nistp256", "ecdh-sha2-nistp384", "ecdh-sha2-nistp521",
		"diffie-hellman-group16-sha512", "diffie-hellman-group14-sha256",
	}
}

// DefaultCiphers is the cipher allow-list.
func DefaultCiphers() []string {
	return []string{
		"aes128-gcm@openssh.com", "aes256-gcm@openssh.com",
		"chacha20-poly1305@openssh.com",
		"aes128-ctr", "aes192-ctr", "aes256-ctr",
	}
}

// DefaultMACs is the MAC allow-list, used with the ctr ciphers.
func DefaultMACs() []string {
	return []string{
		"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com",
		"hmac-sha2-256", "hmac-sha2-512",
	}
}

// Source says where a configuration came from.
type Source struct {
	// File is the config file read; empty when there was none and the
	// built-in defaults apply.
	File string
	// Env names the S2SD_… variables that overrode settings, in key order.
	Env []string
}

// Load returns the defaults overlaid with the file at path (if path is not
// empty) and then with the environment, validated.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg, _, err := LoadSource(path, getenv)
	return cfg, err
}

// LoadSource is Load that also says where the configuration came from.
func LoadSource(path string, getenv func(string) string) (Config, Source, error) {
	cfg := Default()
	src := Source{File: path}
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return Config{}, src, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := cfg.Decode(f); err != nil {
			return Config{}, src, fmt.Errorf("config %s: %w", path, err)
		}
	}
	env, err := cfg.applyEnv(getenv)
	src.Env = env
	if err != nil {
		return Config{}, src, err
	}
	if err := cfg.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) && slices.Contains(src.Env, EnvName(ve.Field)) {
			ve.Reason += " (set by " + EnvName(ve.Field) + ")"
		}
		return Config{}, src, err
	}
	return cfg, src, nil
}

// Decode overlays the TOML document r onto c. Unknown keys are an error
// naming each of them.
func (c *Config) Decode(r io.Reader) error {
	md, err := toml.NewDecoder(r).Decode(c)
	if err != nil {
		return err
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		sort.Strings(keys)
		return fmt.Errorf("unknown key(s) %s: check the spelling against the example config", strings.Join(keys, ", "))
	}
	return nil
}

// ValidationError names the field that is wrong.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("config: %s: %s", e.Field, e.Reason)
}

// Validate checks every field.
func (c *Config) Validate() error {
	if c.Data == "" {
		return &ValidationError{"data", "must not be empty"}
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return &ValidationError{"listen", fmt.Sprintf("%q is not host:port", c.Listen)}
	}
	if _, err := c.Log.ZerologLevel(); err != nil {
		return &ValidationError{"log.level", err.Error()}
	}
	if c.Metrics.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Listen); err != nil {
			return &ValidationError{"metrics.listen", fmt.Sprintf("%q is not host:port; leave it empty to serve no metrics", c.Metrics.Listen)}
		}
	}
	if _, err := routing.NewLANumbers(c.LANumbers); err != nil {
		return &ValidationError{"la_numbers", err.Error()}
	}
	for _, s := range c.SFTP.TempSuffixes {
		if !strings.HasPrefix(s, ".") || strings.ContainsAny(s, "/\\") {
			return &ValidationError{"sftp.temp_suffixes", fmt.Sprintf("%q must start with a dot and hold no slash", s)}
		}
	}
	positive := []struct {
		field string
		v     int64
	}{
		{"daemon.shutdown_grace", int64(c.Daemon.ShutdownGrace)},
		{"sftp.recent_window", int64(c.SFTP.RecentWindow)},
		{"sftp.max_ctf_size", c.SFTP.MaxCTFSize},
		{"sftp.max_generic_school", c.SFTP.MaxGenericSchool},
		{"sftp.max_generic_la", c.SFTP.MaxGenericLA},
		{"auth.max_concurrent_hashes", int64(c.Auth.MaxConcurrentHashes)},
		{"auth.lockout_threshold", int64(c.Auth.LockoutThreshold)},
		{"auth.address_lockout_threshold", int64(c.Auth.AddressLockoutThreshold)},
		{"auth.lockout_base", int64(c.Auth.LockoutBase)},
		{"auth.lockout_max", int64(c.Auth.LockoutMax)},
		{"auth.min_password_length", int64(c.Auth.MinPasswordLength)},
		{"ssh.handshake_timeout", int64(c.SSH.HandshakeTimeout)},
		{"ssh.max_auth_tries", int64(c.SSH.MaxAuthTries)},
		{"ssh.max_conns_per_address", int64(c.SSH.MaxConnsPerAddress)},
		{"ssh.max_conns", int64(c.SSH.MaxConns)},
	}
	for _, p := range positive {
		if p.v <= 0 {
			return &ValidationError{p.field, "must be greater than zero"}
		}
	}
	if err := c.Mail.Validate(); err != nil {
		var fe *mailer.FieldError
		if errors.As(err, &fe) {
			return &ValidationError{"mail." + fe.Field, fe.Reason}
		}
		return err
	}
	if err := c.Retention.Validate(); err != nil {
		return err
	}
	if err := c.Schedule.Validate(); err != nil {
		return err
	}
	if c.Auth.LockoutMax < c.Auth.LockoutBase {
		return &ValidationError{"auth.lockout_max", "must not be less than auth.lockout_base"}
	}
	for _, l := range []struct {
		field string
		v     []string
	}{{"ssh.key_exchanges", c.SSH.KeyExchanges}, {"ssh.ciphers", c.SSH.Ciphers}, {"ssh.macs", c.SSH.MACs}} {
		if len(l.v) == 0 {
			return &ValidationError{l.field, "must list at least one algorithm"}
		}
	}
	return nil
}

// LANumberSet returns the validated LA number set.
func (c *Config) LANumberSet() routing.LANumbers {
	las, _ := routing.NewLANumbers(c.LANumbers)
	return las
}

// DataPath joins elem onto the data directory.
func (c *Config) DataPath(elem ...string) string {
	return filepath.Join(append([]string{c.Data}, elem...)...)
}
