package mailer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/textproto"
	"slices"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// Transport delivers one message. It returns nil when the message was
// delivered to every recipient, a *RefusedError when it was delivered to
// some and refused for good for the others, and any other error when it
// was delivered to nobody; Permanent says whether retrying such an error
// can help.
//
// A transport must be safe for concurrent use.
type Transport interface {
	Send(ctx context.Context, m Message) error
}

// Syncer is a transport whose deliveries are durable only once Sync
// returns, so that a batch shares one flush to disk. The worker calls
// Sync after each batch, before it records any of the batch as sent; a
// Sync that fails turns the batch's deliveries into temporary failures.
type Syncer interface {
	Sync(ctx context.Context) error
}

// DeliveryError is a failed delivery, with the SMTP reply code if the
// server gave one.
type DeliveryError struct {
	Code      int  // the SMTP reply code, or 0
	Permanent bool // retrying cannot help
	Err       error
}

func (e *DeliveryError) Error() string { return e.Err.Error() }
func (e *DeliveryError) Unwrap() error { return e.Err }

// RefusedError reports a message delivered to some of its recipients and
// refused for good for the others. The message is not to be sent again.
type RefusedError struct {
	Refused map[string]error // each refused recipient and the server's reply
}

func (e *RefusedError) Error() string {
	parts := make([]string, 0, len(e.Refused))
	for _, addr := range slices.Sorted(maps.Keys(e.Refused)) {
		parts = append(parts, fmt.Sprintf("%s: %v", addr, e.Refused[addr]))
	}
	return "refused for good: " + strings.Join(parts, "; ")
}

// Permanent reports whether err is a failure that retrying cannot cure:
// an SMTP 5xx reply to the message, or a message that cannot be composed.
// A 4xx reply, a network error, a timeout or anything unknown is
// temporary. A DeliveryError's own classification wins over the code of
// the error it wraps, so that a transport can keep, say, a 535
// authentication failure (a configuration fault, not the message's)
// temporary.
func Permanent(err error) bool {
	if err == nil {
		return false
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Permanent
	}
	var re *RefusedError
	if errors.As(err, &re) {
		return true
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code >= 500 && te.Code <= 599
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		c := se.ErrorCode()
		return c >= 500 && c <= 599
	}
	return false
}

// replyCode returns the SMTP reply code err carries, or 0.
func replyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}

// classify wraps err from a step of an SMTP transaction: a 5xx reply is
// permanent, anything else temporary.
func classify(step string, err error) error {
	code := replyCode(err)
	return &DeliveryError{Code: code, Permanent: code >= 500 && code <= 599, Err: fmt.Errorf("%s: %w", step, err)}
}

// temporary wraps err as a temporary failure whatever its reply code.
func temporary(step string, err error) error {
	return &DeliveryError{Code: replyCode(err), Err: fmt.Errorf("%s: %w", step, err)}
}

// permanent wraps err as a permanent failure.
func permanent(step string, err error) error {
	return &DeliveryError{Code: replyCode(err), Permanent: true, Err: fmt.Errorf("%s: %w", step, err)}
}
