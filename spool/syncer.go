package spool

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Syncer fsyncs a file and its directory at the same time, as
// SyncWithDir does, but without blocking a thread: both fsyncs are
// submitted through Linux AIO (IOCB_CMD_FSYNC, the same fsync, run by
// the kernel's workers), which signals an eventfd when each is done, and
// the goroutine waits for that in Go's poller, as for a socket. Go hands
// a P blocked in a system call to another thread; with SyncWithDir's two,
// every small upload's CLOSE woke threads on both vCPUs for nothing.
// Where AIO is not available (an old kernel, a seccomp filter), Syncer
// uses SyncWithDir.
//
// A Syncer keeps up to maxAIOContexts AIO contexts for its callers; one
// that finds them all in use uses SyncWithDir. Close releases them.
type Syncer struct {
	idle chan *aioContext // contexts not in use

	mu     sync.Mutex
	made   int  // contexts made and not destroyed
	off    bool // AIO is not available here
	closed bool
}

// maxAIOContexts bounds a Syncer's AIO contexts, each two events of the
// system's fs.aio-max-nr.
const maxAIOContexts = 16

// NewSyncer returns a Syncer with no AIO context yet.
func NewSyncer() *Syncer {
	return &Syncer{idle: make(chan *aioContext, maxAIOContexts)}
}

// aioContext is an AIO context and the eventfd its completions signal.
type aioContext struct {
	id   uintptr
	done *os.File // made non-blocking, so that reading it waits in Go's poller (and Fd leaves it so)
}

func newAIOContext() (*aioContext, syscall.Errno) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		e := syscall.ENOSYS
		errors.As(err, &e)
		return nil, e
	}
	c := &aioContext{done: os.NewFile(uintptr(fd), "aio-eventfd")}
	if _, _, e := unix.Syscall(unix.SYS_IO_SETUP, 2, uintptr(unsafe.Pointer(&c.id)), 0); e != 0 {
		c.done.Close()
		return nil, e
	}
	return c, 0
}

// destroy waits for what c still holds and releases it.
func (c *aioContext) destroy() {
	unix.Syscall(unix.SYS_IO_DESTROY, c.id, 0, 0)
	c.done.Close()
}

// SyncWithDir fsyncs f and dir, the directory that holds it, at the same
// time, and returns their errors.
func (s *Syncer) SyncWithDir(f, dir *os.File) error {
	c, ok := s.get()
	if !ok {
		return SyncWithDir(f, dir)
	}
	ok, err := syncPair(c, f, dir)
	if !ok {
		// The context's state is unknown: destroying it waits for
		// what it still holds. Both are then fsynced again, which is
		// harmless.
		c.destroy()
		s.mu.Lock()
		s.made--
		s.mu.Unlock()
		return SyncWithDir(f, dir)
	}
	s.put(c)
	return err
}

// Close destroys the idle contexts, and makes those in use destroyed as
// they are given back; after it, SyncWithDir uses SyncWithDir.
func (s *Syncer) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for {
		select {
		case c := <-s.idle:
			c.destroy()
			s.made--
		default:
			return
		}
	}
}

// get returns an idle context, or a new one while fewer than
// maxAIOContexts exist; ok is false if there is none to use.
func (s *Syncer) get() (c *aioContext, ok bool) {
	select {
	case c := <-s.idle:
		return c, true
	default:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.off || s.closed || s.made >= maxAIOContexts {
		return nil, false
	}
	c, e := newAIOContext()
	if e != 0 {
		// EAGAIN, EMFILE: the system's contexts or the descriptors are
		// used up for now.
		s.off = e != syscall.EAGAIN && e != syscall.EMFILE && e != syscall.ENFILE
		return nil, false
	}
	s.made++
	return c, true
}

func (s *Syncer) put(c *aioContext) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.destroy()
		s.made--
		return
	}
	s.idle <- c // never blocks: at most maxAIOContexts exist
}

// iocb is the kernel's struct iocb. aio_key and aio_rw_flags, whose
// order depends on the byte order, are both zero here.
type iocb struct {
	data      uint64
	key       uint32
	rwFlags   uint32
	opcode    uint16
	reqprio   int16
	fildes    uint32
	buf       uint64
	nbytes    uint64
	offset    int64
	reserved2 uint64
	flags     uint32
	resfd     uint32
}

// ioEvent is the kernel's struct io_event.
type ioEvent struct {
	data uint64
	obj  uint64
	res  int64
	res2 int64
}

const (
	iocbCmdFsync  = 2
	iocbFlagResfd = 1 << 0 // signal aio_resfd on completion
)

// syncPair fsyncs a and b through c and returns their errors. A file
// whose fsync could not be submitted is fsynced directly. ok is false if
// c can no longer be trusted: the wait for the fsyncs failed.
func syncPair(c *aioContext, a, b *os.File) (ok bool, err error) {
	files := [2]*os.File{a, b}
	done := uint32(c.done.Fd())
	cbs := [2]iocb{
		{data: 0, opcode: iocbCmdFsync, fildes: uint32(a.Fd()), flags: iocbFlagResfd, resfd: done},
		{data: 1, opcode: iocbCmdFsync, fildes: uint32(b.Fd()), flags: iocbFlagResfd, resfd: done},
	}
	ptrs := [2]*iocb{&cbs[0], &cbs[1]}
	n, _, e := unix.Syscall(unix.SYS_IO_SUBMIT, c.id, 2, uintptr(unsafe.Pointer(&ptrs[0])))
	if e != 0 {
		n = 0 // none submitted
	}
	var errs [2]error
	for i := int(n); i < 2; i++ {
		errs[i] = files[i].Sync()
	}
	// The eventfd counts completions; the kernel adds each to the ring
	// before it signals.
	var count [8]byte
	for signalled := uint64(0); signalled < uint64(n); {
		if _, err := io.ReadFull(c.done, count[:]); err != nil {
			return false, err
		}
		signalled += binary.NativeEndian.Uint64(count[:])
	}
	var evs [2]ioEvent
	for got := 0; got < int(n); {
		m, _, e := unix.Syscall6(unix.SYS_IO_GETEVENTS, c.id, n-uintptr(got), n-uintptr(got),
			uintptr(unsafe.Pointer(&evs[got])), 0, 0)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			return false, e
		}
		got += int(m)
	}
	for _, ev := range evs[:n] {
		if ev.res < 0 && ev.data < 2 {
			errs[ev.data] = &os.PathError{Op: "fsync", Path: files[ev.data].Name(), Err: syscall.Errno(-ev.res)}
		}
	}
	return true, errors.Join(errs[:]...)
}
