package sftpd

import (
	"errors"
	"fmt"

	"github.com/pkg/sftp"
)

// statusError is an error shown to the SFTP client: its text is the status
// message, and it unwraps to the SFTP status code.
type statusError struct {
	code error // one of sftp.ErrSSHFx…
	msg  string
}

func (e *statusError) Error() string { return e.msg }
func (e *statusError) Unwrap() error { return e.code }

func denied(format string, args ...any) error {
	return &statusError{sftp.ErrSSHFxPermissionDenied, fmt.Sprintf(format, args...)}
}

func failure(format string, args ...any) error {
	return &statusError{sftp.ErrSSHFxFailure, fmt.Sprintf(format, args...)}
}

func unsupported(format string, args ...any) error {
	return &statusError{sftp.ErrSSHFxOpUnsupported, fmt.Sprintf(format, args...)}
}

// notFound is the one answer for anything missing or outside the user's
// view, so that nothing reveals what exists elsewhere.
func notFound(p string) error {
	return &statusError{sftp.ErrSSHFxNoSuchFile, fmt.Sprintf("%s: no such file or directory", p)}
}

// clientError passes a statusError through and hides anything else (which
// may hold server paths) behind a generic message; the caller logs it.
func clientError(err error) error {
	var se *statusError
	if err == nil || errors.As(err, &se) {
		return err
	}
	return failure("the server could not complete this request; try again, and contact the service desk if it persists")
}
