// Package config holds s2sd's configuration: defaults in code, an optional
// TOML file decoded strictly, and S2SD_… environment overrides.
package config

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/s2sd/s2sd/jobs"
	"github.com/s2sd/s2sd/mailer"
	"github.com/s2sd/s2sd/routing"
)

// Config is the whole configuration of one s2sd instance.
type Config struct {
	// Data is the data directory: host keys, ledger, mailboxes and mail.
	Data string `toml:"data"`
	// Listen is the SFTP listen address.
	Listen string `toml:"listen"`
	// LANumbers lists the valid 3-digit LA numbers; empty means the
	// English and Welsh LA numbers.
	LANumbers []string `toml:"la_numbers"`
	// PersonalDomains are email domains refused for users.
	PersonalDomains []string `toml:"personal_domains"`

	SFTP SFTP        `toml:"sftp"`
	Auth Auth        `toml:"auth"`
	SSH  SSH         `toml:"ssh"`
	Mail mailer.Mail `toml:"mail"`

	Retention jobs.Rules    `toml:"retention"`
	Schedule  jobs.Schedule `toml:"schedule"`
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
	// MaxGenericSchool and MaxGenericLA cap generic zips, in bytes.
	MaxGenericSchool int64 `toml:"max_generic_school"`
	MaxGenericLA     int64 `toml:"max_generic_la"`
}

// Auth configures authentication and lockout.
type Auth struct {
	// MaxConcurrentHashes caps concurrent argon2id computations.
	MaxConcurrentHashes int `toml:"max_concurrent_hashes"`
	// LockoutThreshold is the number of consecutive failures that locks an
	// account or a source address.
	LockoutThreshold int `toml:"lockout_threshold"`
	// AddressLockoutThreshold is the number of consecutive failures from
	// one source address that lock it: higher than the per-account
	// threshold, since a school's staff often share one address.
	AddressLockoutThreshold int `toml:"address_lockout_threshold"`
	// LockoutBase is the first lockout; each further lockout doubles it, up
	// to LockoutMax.
	LockoutBase time.Duration `toml:"lockout_base"`
	LockoutMax  time.Duration `toml:"lockout_max"`
	// MinPasswordLength applies to passwords users choose.
	MinPasswordLength int `toml:"min_password_length"`
}

// SSH configures the SSH transport.
type SSH struct {
	HandshakeTimeout time.Duration `toml:"handshake_timeout"`
	MaxAuthTries     int           `toml:"max_auth_tries"`
	// MaxConnsPerAddress caps concurrent connections from one address.
	MaxConnsPerAddress int `toml:"max_conns_per_address"`
	// MaxConns caps concurrent connections in all.
	MaxConns     int      `toml:"max_conns"`
	KeyExchanges []string `toml:"key_exchanges"`
	Ciphers      []string `toml:"ciphers"`
	MACs         []string `toml:"macs"`
}

// Default returns the embedded defaults: what `s2sd serve` runs with when
// there is no config file.
func Default() Config {
	return Config{
		Data:            "s2sd-data",
		Listen:          "127.0.0.1:2022",
		LANumbers:       routing.DefaultLANumbers(),
		PersonalDomains: DefaultPersonalDomains(),
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

// Load returns the defaults overlaid with the file at path (if path is not
// empty) and then with the environment, validated.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		f, err := os.Open(path)
		if err != nil {
			return Config{}, fmt.Errorf("config: %w", err)
		}
		defer f.Close()
		if err := cfg.Decode(f); err != nil {
			return Config{}, fmt.Errorf("config %s: %w", path, err)
		}
	}
	if err := cfg.applyEnv(getenv); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
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

func (c *Config) applyEnv(getenv func(string) string) error {
	if getenv == nil {
		return nil
	}
	if v := getenv("S2SD_DATA"); v != "" {
		c.Data = v
	}
	if v := getenv("S2SD_LISTEN"); v != "" {
		c.Listen = v
	}
	if v := getenv("S2SD_MAIL_SMTP_PASSWORD"); v != "" {
		c.Mail.SMTP.Password = mailer.Secret(v)
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
