package sftpd

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/crypto/ssh"
)

// hostKeyFiles lists the host keys s2sd keeps, in the order offered.
var hostKeyFiles = [...]struct {
	name string
	gen  func() (crypto.Signer, error)
}{
	{"ssh_host_ed25519_key", func() (crypto.Signer, error) { _, k, err := ed25519.GenerateKey(rand.Reader); return k, err }},
	{"ssh_host_ecdsa_key", func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }},
	{"ssh_host_rsa_key", func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 3072) }},
}

// LoadHostKeys loads the ed25519, ecdsa and rsa-3072 host keys from dir,
// generating any that are missing with mode 0600. The RSA key signs only
// with SHA-2 (rsa-sha2-512, rsa-sha2-256), never SHA-1.
func LoadHostKeys(dir string) ([]ssh.Signer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var signers []ssh.Signer
	for _, hk := range hostKeyFiles {
		path := filepath.Join(dir, hk.name)
		data, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			data, err = generateHostKey(path, hk.gen)
		}
		if err != nil {
			return nil, fmt.Errorf("host key %s: %w", path, err)
		}
		s, err := ssh.ParsePrivateKey(data)
		if err != nil {
			return nil, fmt.Errorf("host key %s: %w", path, err)
		}
		if s.PublicKey().Type() == ssh.KeyAlgoRSA {
			as, ok := s.(ssh.AlgorithmSigner)
			if !ok {
				return nil, fmt.Errorf("host key %s: cannot sign with SHA-2", path)
			}
			if s, err = ssh.NewSignerWithAlgorithms(as, []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}); err != nil {
				return nil, err
			}
		}
		signers = append(signers, s)
	}
	return signers, nil
}

func generateHostKey(path string, gen func() (crypto.Signer, error)) ([]byte, error) {
	k, err := gen()
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(k, "s2sd host key")
	if err != nil {
		return nil, err
	}
	data := pem.EncodeToMemory(block)
	tmp := path + ".new"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return data, nil
}
