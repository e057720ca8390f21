package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/s2sd/s2sd/ledger"
)

// UserKeyCmd groups the key commands.
type UserKeyCmd struct {
	Add UserKeyAddCmd `cmd:"" help:"Add the SSH public key(s) in a file to a user."`
}

// UserKeyAddCmd adds keys to a user.
type UserKeyAddCmd struct {
	Login string `arg:"" help:"The user."`
	File  string `arg:"" help:"OpenSSH public key file (e.g. id_ed25519.pub)."`
}

// Run adds the keys.
func (c *UserKeyAddCmd) Run(ctx context.Context, g *Globals) error {
	led, _, err := g.openLedger(ctx)
	if err != nil {
		return err
	}
	defer led.Close()
	u, err := existingUser(ctx, led, c.Login)
	if err != nil {
		return err
	}
	keys, err := readKeys(c.File)
	if err != nil {
		return err
	}
	have, err := led.Keys(ctx, u.Login)
	if err != nil {
		return err
	}
	for _, h := range have {
		for _, k := range keys {
			if h.Fingerprint == k.Fingerprint {
				return fmt.Errorf("user %s already has key %s: nothing to add", u.Login, k.Fingerprint)
			}
		}
	}
	now := time.Now()
	for _, k := range keys {
		if err := led.AddKey(ctx, u.Login, k, now); err != nil {
			return userError(u.Login, err)
		}
		if err := audit(ctx, led, u.Mailbox, u.Login, "user key add "+k.Fingerprint); err != nil {
			return err
		}
		fmt.Fprintf(g.Stdout, "added key %s to %s\n", k.Fingerprint, u.Login)
	}
	return nil
}

// readKeys reads the OpenSSH public keys in an authorized_keys-style file
// (one or more lines such as "ssh-ed25519 AAAA… comment").
func readKeys(path string) ([]ledger.Key, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w: give the path of an OpenSSH public key (e.g. id_ed25519.pub)", err)
	}
	if strings.Contains(string(data), "PRIVATE KEY") {
		return nil, fmt.Errorf("key file %s holds a private key: give the public key (the .pub file) and keep the private key secret", path)
	}
	var keys []ledger.Key
	seen := map[string]bool{}
	for rest := data; len(strings.TrimSpace(string(rest))) > 0; {
		pub, comment, _, next, err := ssh.ParseAuthorizedKey(rest)
		if err != nil && len(keys) > 0 {
			break // what follows the last key holds no other
		}
		if err != nil {
			return nil, fmt.Errorf("key file %s holds no OpenSSH public key: give a .pub file such as id_ed25519.pub", path)
		}
		rest = next
		fp := ssh.FingerprintSHA256(pub)
		if seen[fp] {
			continue
		}
		seen[fp] = true
		keys = append(keys, ledger.Key{
			Fingerprint: fp,
			Key:         strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))),
			Comment:     comment,
		})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("key file %s is empty: give a .pub file such as id_ed25519.pub", path)
	}
	return keys, nil
}
