package sftpd

import "time"

// Metrics is told what the server does, for monitoring. A nil Metrics in
// Deps counts nothing.
type Metrics interface {
	// LoginResult counts a password login: "ok" (any method, once the
	// handshake completes), "failed" (a wrong password) or "locked"
	// (refused while the account or address is locked out).
	LoginResult(outcome string)
	// SessionOpened and SessionClosed bracket each logged-in connection.
	SessionOpened()
	SessionClosed()
	// Uploaded counts an acknowledged upload. durable is the time the
	// acknowledgement spent making it durable: marking the file in staging,
	// the fsyncs and its move into the outbox.
	Uploaded(durable time.Duration)
}

// Login outcomes.
const (
	LoginOK     = "ok"
	LoginFailed = "failed"
	LoginLocked = "locked"
)

// NoMetrics counts nothing.
type NoMetrics struct{}

var _ Metrics = NoMetrics{}

func (NoMetrics) LoginResult(string)     {}
func (NoMetrics) SessionOpened()         {}
func (NoMetrics) SessionClosed()         {}
func (NoMetrics) Uploaded(time.Duration) {}
