package sftpd

// Log field keys.
const (
	logUser    = "user"
	logRemote  = "remote"
	logFile    = "file"
	logSize    = "size"
	logMailbox = "mailbox"
)
