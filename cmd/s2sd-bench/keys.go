package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"

	"golang.org/x/crypto/ssh"
)

// keyPair is an ed25519 key written as OpenSSH files.
type keyPair struct {
	Private string // path of the private key, for ssh -i and sshd HostKey
	Public  string // path of the .pub file
	Signer  ssh.Signer
}

func newKeyPair(path, comment string) (keyPair, error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return keyPair{}, err
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return keyPair{}, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return keyPair{}, err
	}
	spub, err := ssh.NewPublicKey(pub)
	if err != nil {
		return keyPair{}, err
	}
	if err := os.WriteFile(path+".pub", ssh.MarshalAuthorizedKey(spub), 0o644); err != nil {
		return keyPair{}, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return keyPair{}, err
	}
	return keyPair{Private: path, Public: path + ".pub", Signer: signer}, nil
}
