package sftpd

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// Withdrawals lets an LA withdraw uncollected transfers sent by or to its
// schools: /withdraw/ lists them as ID_NAME, and deleting one there
// withdraws it. Errors it returns are shown to the user.
type Withdrawals interface {
	Withdrawable(who Identity) ([]WithdrawEntry, error)
	Withdraw(who Identity, id int64) error
}

// WithdrawEntry is an uncollected transfer an LA may withdraw.
type WithdrawEntry struct {
	ID       int64
	Name     string
	Size     int64
	Uploaded time.Time
}

const withdrawFolder = "withdraw"

func (e WithdrawEntry) fileName() string { return fmt.Sprintf("%d_%s", e.ID, e.Name) }

func (s *session) withdrawList() (listerAt, error) {
	entries, err := s.srv.withdrawals.Withdrawable(s.who)
	if err != nil {
		return nil, failure("%s", err.Error())
	}
	out := listerAt{}
	for _, e := range entries {
		out = append(out, fileInfo{name: e.fileName(), size: e.Size, mode: 0o400, mtime: e.Uploaded})
	}
	return out, nil
}

// withdrawEntry finds the entry a /withdraw/ file name stands for.
func (s *session) withdrawEntry(t target) (WithdrawEntry, error) {
	id, err := strconv.ParseInt(t.name[:max(strings.IndexByte(t.name, '_'), 0)], 10, 64)
	if err != nil {
		return WithdrawEntry{}, notFound(t.path)
	}
	entries, err := s.srv.withdrawals.Withdrawable(s.who)
	if err != nil {
		return WithdrawEntry{}, failure("%s", err.Error())
	}
	for _, e := range entries {
		if e.ID == id && e.fileName() == t.name {
			return e, nil
		}
	}
	return WithdrawEntry{}, notFound(t.path)
}

func (s *session) withdrawStat(t target) (os.FileInfo, error) {
	e, err := s.withdrawEntry(t)
	if err != nil {
		return nil, err
	}
	return fileInfo{name: e.fileName(), size: e.Size, mode: 0o400, mtime: e.Uploaded}, nil
}

func (s *session) withdrawRead(t target) (io.ReaderAt, error) {
	if _, err := s.withdrawEntry(t); err != nil {
		return nil, err
	}
	return nil, denied("%s cannot be downloaded here: delete it from /withdraw/ to withdraw it from its destination", t.name)
}

// withdrawRemove withdraws the transfer a /withdraw/ file stands for.
func (s *session) withdrawRemove(t target) error {
	e, err := s.withdrawEntry(t)
	if err != nil {
		return err
	}
	if err := s.srv.withdrawals.Withdraw(s.who, e.ID); err != nil {
		return failure("%s", err.Error())
	}
	s.log.Info().Int64("transfer", e.ID).Msg("transfer withdrawn")
	return nil
}
