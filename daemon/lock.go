package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFile is the file in the data directory a serving daemon holds an
// exclusive lock on.
const lockFile = "s2sd.lock"

// dataLock is the lock a daemon holds on its data directory for as long
// as it serves it. A second daemon on the same directory would clear the
// first one's uploads in progress from staging at its start, and route
// the same outboxes beside it; admin commands do not take the lock. The
// kernel drops the lock when the process exits, however it exits, so a
// crash leaves nothing to clear by hand.
type dataLock struct{ f *os.File }

// lockData takes the lock on data, or says which process holds it.
func lockData(data string) (*dataLock, error) {
	path := filepath.Join(data, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("data directory lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if b, rerr := os.ReadFile(path); rerr == nil {
				if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
					holder = fmt.Sprintf("process %d", pid)
				}
			}
			return nil, fmt.Errorf("data directory %s is being served by %s: stop that s2sd before starting another on the same data directory", data, holder)
		}
		return nil, fmt.Errorf("data directory lock %s: %w", path, err)
	}
	// The process id is only for the message above; the lock is what counts.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dataLock{f: f}, nil
}

// release drops the lock.
func (l *dataLock) release() error { return l.f.Close() }
