package spool

import (
	"os"

	"golang.org/x/sys/unix"
)

// OpenFile is os.OpenFile for a regular file or a directory, for the
// opens every upload and download makes: a session's next staging file,
// routing's read of the upload, the fsyncs of folders, a download.
// os.OpenFile offers each file it opens to Go's poller, which on Linux
// costs four fcntl calls and an epoll_ctl that fails for a regular file
// or a directory; os.NewFile asks one fcntl and leaves a blocking file
// alone. The file behaves the same either way.
func OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := unix.Open(name, flag|unix.O_CLOEXEC, uint32(perm.Perm()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return os.NewFile(uintptr(fd), name), nil
	}
}
