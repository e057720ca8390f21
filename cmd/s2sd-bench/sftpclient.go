package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// openSSHClient runs OpenSSH's sftp in batch mode, with the cipher every
// workload uses on both servers.
type openSSHClient struct {
	key string // private key file
	dir string // where batch files go
	n   int    // batch files written so far
}

// cipher is the SSH cipher of every transfer, on both servers.
const cipher = "aes128-gcm@openssh.com"

// login is where an sftp session goes.
type login struct {
	port int
	user string
}

// run runs the commands in one sftp session, from local directory lcd,
// and returns how long the session took, connection included. sftp -b
// stops at the first failed command, and so does run.
func (c *openSSHClient) run(ctx context.Context, to login, lcd string, cmds ...string) (time.Duration, error) {
	return c.runOpts(ctx, to, lcd, nil, cmds...)
}

// runOpts is run with more sftp options.
func (c *openSSHClient) runOpts(ctx context.Context, to login, lcd string, opts []string, cmds ...string) (time.Duration, error) {
	c.n++
	batch := fmt.Sprintf("%s/batch-%d", c.dir, c.n)
	if err := os.WriteFile(batch, []byte(strings.Join(cmds, "\n")+"\n"), 0o600); err != nil {
		return 0, err
	}
	args := append([]string{"-b", batch, "-P", strconv.Itoa(to.port), "-i", c.key,
		"-o", "Ciphers=" + cipher,
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
		"-o", "ControlPath=none", "-o", "LogLevel=ERROR"}, opts...)
	cmd := exec.CommandContext(ctx, "sftp", append(args, to.user+"@127.0.0.1")...)
	cmd.Dir = lcd
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		return took, fmt.Errorf("sftp %s@127.0.0.1:%d (%s): %v: %s", to.user, to.port, firstLine(cmds), err, strings.TrimSpace(stderr.String()))
	}
	return took, nil
}

func firstLine(cmds []string) string {
	for _, c := range cmds {
		if !strings.HasPrefix(c, "cd ") && !strings.HasPrefix(c, "lcd ") {
			return c
		}
	}
	return strings.Join(cmds, "; ")
}
