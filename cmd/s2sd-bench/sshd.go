package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"time"
)

// sshdPath is OpenSSH's server; internal-sftp is built into it.
const sshdPath = "/usr/sbin/sshd"

// sshdServer is a private OpenSSH sshd, the baseline: its own config,
// host key and authorized keys, on a loopback port, serving only
// internal-sftp to the bench's key. Files land under its files folder.
type sshdServer struct {
	addr  string
	port  int
	user  string
	files string
	srv   *server
}

// sshdConfig keeps OpenSSH's defaults except what a private instance
// needs, and lets the concurrency workloads open as many sessions as
// they do with s2sd.
const sshdConfig = `ListenAddress 127.0.0.1
Port %d
HostKey %s
PidFile %s
AuthorizedKeysFile %s
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AllowTcpForwarding no
X11Forwarding no
MaxStartups 200:30:400
LogLevel ERROR
Subsystem sftp internal-sftp
ForceCommand internal-sftp
`

func startSSHD(ctx context.Context, dir string, client keyPair) (*sshdServer, error) {
	if _, err := os.Stat(sshdPath); err != nil {
		return nil, fmt.Errorf("OpenSSH server not found (%v): apt-get install openssh-server", err)
	}
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "files"), 0o755); err != nil {
		return nil, err
	}
	// The privilege separation directory sshd insists on.
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
		return nil, fmt.Errorf("sshd needs /run/sshd: %w", err)
	}
	host, err := newKeyPair(filepath.Join(dir, "host_ed25519"), "s2sd-bench sshd host")
	if err != nil {
		return nil, err
	}
	pub, err := os.ReadFile(client.Public)
	if err != nil {
		return nil, err
	}
	auth := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(auth, pub, 0o600); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "sshd_config")
	text := fmt.Sprintf(sshdConfig, port, host.Private, filepath.Join(dir, "sshd.pid"), auth)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		return nil, err
	}
	if b, err := exec.CommandContext(ctx, sshdPath, "-t", "-f", conf).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("sshd -t refuses %s: %v: %s", conf, err, b)
	}
	log := filepath.Join(dir, "sshd.log")
	srv, err := startServer("sshd", exec.Command(sshdPath, "-D", "-e", "-f", conf), log)
	if err != nil {
		return nil, err
	}
	s := &sshdServer{addr: fmt.Sprintf("127.0.0.1:%d", port), port: port, user: u.Username, files: filepath.Join(dir, "files"), srv: srv}
	if err := waitListening(ctx, srv, s.addr, 10*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w (see %s)", err, log)
	}
	return s, nil
}

func (s *sshdServer) stop() { s.srv.stop(5 * time.Second) }
