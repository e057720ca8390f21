package spool

import (
	"encoding/json"
	"os"

	"golang.org/x/sys/unix"
)

// senderAttr is the extended attribute in which an uploaded file carries
// who sent it.
const senderAttr = "user.s2sd.sender"

// Sender is who uploaded a file.
type Sender struct {
	Login  string `json:"login"`
	Role   string `json:"role"`
	Remote string `json:"remote"`
}

// WriteSender records in f who sent it. Written before the file's fsync,
// it is as durable as the file's data, so that acknowledging an upload
// costs no ledger commit. It fails where the filesystem has no user
// extended attributes; the caller then records the sender elsewhere.
func WriteSender(f *os.File, s Sender) error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return unix.Fsetxattr(int(f.Fd()), senderAttr, b, 0)
}

// ReadSender returns who sent the file at path, if the file says.
func ReadSender(path string) (Sender, bool) {
	buf := make([]byte, 512)
	n, err := unix.Getxattr(path, senderAttr, buf)
	if err != nil {
		return Sender{}, false
	}
	var s Sender
	if err := json.Unmarshal(buf[:n], &s); err != nil || s.Login == "" {
		return Sender{}, false
	}
	return s, true
}
