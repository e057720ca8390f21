package sftpd

import (
	"encoding/binary"
	"io"
	"sync"
)

// SFTP packet types and the extension this file adds.
const (
	fxpVersion       = 2
	fxpExtended      = 200
	fxpExtendedReply = 201
	limitsExtension  = "limits@openssh.com"
)

// The limits s2sd announces: the largest packet pkg/sftp reads (256 KiB),
// and reads and writes of that less room for their headers, as OpenSSH's
// sftp-server does. OpenSSH's sftp client then moves 255 KiB per request
// instead of its default 32 KiB.
const (
	maxPacketLength = 256 << 10
	maxDataLength   = maxPacketLength - 1024
)

// announcedHandles is the open-handle limit s2sd announces. OpenSSH's
// client keeps that many requests outstanding instead of its default 64
// ("use the server limit to scale down our value only"), and s2sd does
// not refuse a handle beyond it.
//
// With 64 reads of 255 KiB outstanding, s2sd answered them as fast as the
// SSH window allowed and OpenSSH's ssh process, holding up to 2 MiB it
// had not yet passed to sftp, spent its time growing and moving buffers:
// 51,600 page faults and 1.6 s of CPU for a 256 MiB download against
// 9,400 and 0.7 s from sshd, whose single-threaded sftp-server never gets
// that far ahead, and the download ran at half sshd's speed. With four
// outstanding it ran at 1.6 times sshd's speed (0.60 s against 0.95 s),
// and uploads lost nothing (1.10 s with 4 against 1.01-1.14 s with 64).
// Four 255 KiB requests still fill a 30 ms path at 33 MiB/s.
const announcedHandles = 4

// limitsStream sits between a session channel and pkg/sftp's request
// server, which knows nothing of limits@openssh.com: it adds the
// extension to the server's VERSION and answers the client's request for
// it itself. Everything else passes through untouched; the stream only
// follows packet boundaries, so that its own reply never lands inside a
// packet the request server is writing. A packet's first five bytes,
// which it reads to follow them, go out joined with the bytes written
// after them, not as an SSH packet of their own.
type limitsStream struct {
	ch io.ReadWriteCloser

	// read side, used only by the request server's reading goroutine
	inLeft int     // bytes of the current inbound packet still to pass on
	inBuf  []byte  // bytes read ahead and not yet passed on
	head   [5]byte // the current inbound packet's length and type

	// write side
	mu       sync.Mutex
	boundary *sync.Cond // signalled when outLeft returns to zero
	outLeft  int        // bytes of the current outbound packet still to come
	outHead  []byte     // the start of an outbound packet, until it goes out with the bytes after it
	outBuf   []byte     // a header and the bytes after it, joined to go out as one write
	version  []byte     // the VERSION packet's body, while it is being written
	verLeft  int        // bytes of it still to come
	versiond bool       // the VERSION packet has gone out
}

func newLimitsStream(ch io.ReadWriteCloser) *limitsStream {
	s := &limitsStream{ch: ch}
	s.boundary = sync.NewCond(&s.mu)
	return s
}

func (s *limitsStream) Close() error { return s.ch.Close() }

// Read passes inbound packets on, except a limits@openssh.com request,
// which it answers.
func (s *limitsStream) Read(p []byte) (int, error) {
	for {
		if len(s.inBuf) > 0 {
			n := copy(p, s.inBuf)
			s.inBuf = s.inBuf[n:]
			return n, nil
		}
		if s.inLeft > 0 {
			if len(p) > s.inLeft {
				p = p[:s.inLeft]
			}
			n, err := s.ch.Read(p)
			s.inLeft -= n
			return n, err
		}
		// At a packet boundary: look at its length and type. Anything but
		// a small EXTENDED packet passes through, a packet the request
		// server will refuse included.
		if _, err := io.ReadFull(s.ch, s.head[:]); err != nil {
			return 0, err
		}
		length := int(binary.BigEndian.Uint32(s.head[:4]))
		if s.head[4] != fxpExtended || length < 1 || length > 1024 {
			s.inBuf, s.inLeft = s.head[:], max(length-1, 0)
			continue
		}
		body := make([]byte, length-1)
		if _, err := io.ReadFull(s.ch, body); err != nil {
			return 0, err
		}
		if id, ok := limitsRequest(body); ok {
			if err := s.replyLimits(id); err != nil {
				return 0, err
			}
			continue
		}
		s.inBuf = append(s.head[:], body...)
	}
}

// limitsRequest reports whether an EXTENDED packet's body (after its
// type) asks for limits@openssh.com, and returns its request id.
func limitsRequest(body []byte) (uint32, bool) {
	if len(body) < 8 {
		return 0, false
	}
	id := binary.BigEndian.Uint32(body)
	n := int(binary.BigEndian.Uint32(body[4:]))
	if n != len(limitsExtension) || len(body) < 8+n || string(body[8:8+n]) != limitsExtension {
		return 0, false
	}
	return id, true
}

// replyLimits answers a limits@openssh.com request between two of the
// request server's packets.
func (s *limitsStream) replyLimits(id uint32) error {
	b := make([]byte, 0, 4+1+4+32)
	b = binary.BigEndian.AppendUint32(b, 1+4+32)
	b = append(b, fxpExtendedReply)
	b = binary.BigEndian.AppendUint32(b, id)
	b = binary.BigEndian.AppendUint64(b, maxPacketLength)
	b = binary.BigEndian.AppendUint64(b, maxDataLength) // read length
	b = binary.BigEndian.AppendUint64(b, maxDataLength) // write length
	b = binary.BigEndian.AppendUint64(b, announcedHandles)
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.outLeft > 0 || len(s.outHead) > 0 || s.verLeft > 0 {
		s.boundary.Wait()
	}
	_, err := s.ch.Write(b)
	return err
}

// Write passes the request server's packets on, following their
// boundaries, and adds limits@openssh.com to its VERSION packet.
func (s *limitsStream) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	written := 0
	for len(p) > 0 {
		if s.verLeft > 0 { // inside VERSION: gather it
			n := min(len(p), s.verLeft)
			s.version = append(s.version, p[:n]...)
			s.verLeft -= n
			p, written = p[n:], written+n
			if s.verLeft == 0 {
				if err := s.writeVersion(); err != nil {
					return written, err
				}
			}
			continue
		}
		if s.outLeft > 0 { // inside a packet: pass it through
			n := min(len(p), s.outLeft)
			if len(s.outHead) > 0 {
				// The header goes out with what follows it: a channel
				// write is an SSH packet, encrypted and sent on its own.
				if err := s.writeHead(p[:n]); err != nil {
					return written, err
				}
			} else if _, err := s.ch.Write(p[:n]); err != nil {
				return written, err
			}
			written += n
			s.outLeft -= n
			p = p[n:]
			if s.outLeft == 0 {
				s.boundary.Broadcast()
			}
			continue
		}
		// At a boundary: gather the length and type.
		need := 5 - len(s.outHead)
		if len(p) < need {
			s.outHead = append(s.outHead, p...)
			written += len(p)
			return written, nil
		}
		s.outHead = append(s.outHead, p[:need]...)
		p, written = p[need:], written+need
		length := int(binary.BigEndian.Uint32(s.outHead[:4]))
		if s.outHead[4] == fxpVersion && !s.versiond && length > 1 {
			s.versiond = true
			s.outHead, s.verLeft = s.outHead[:0], length-1
			continue
		}
		s.outLeft = length - 1
		if s.outLeft == 0 { // a packet of its type alone
			if err := s.writeHead(nil); err != nil {
				return written, err
			}
			s.boundary.Broadcast()
		}
	}
	return written, nil
}

// maxOutBuf bounds the joining buffer a stream keeps between packets.
const maxOutBuf = 64 << 10

// writeHead writes the waiting packet header followed by rest, in one
// channel write.
func (s *limitsStream) writeHead(rest []byte) error {
	s.outBuf = append(append(s.outBuf[:0], s.outHead...), rest...)
	s.outHead = s.outHead[:0]
	_, err := s.ch.Write(s.outBuf)
	if cap(s.outBuf) > maxOutBuf {
		s.outBuf = nil
	}
	return err
}

// writeVersion sends the VERSION packet, gathered in version, with
// limits@openssh.com added to its extensions.
func (s *limitsStream) writeVersion() error {
	body := s.version
	body = binary.BigEndian.AppendUint32(body, uint32(len(limitsExtension)))
	body = append(body, limitsExtension...)
	body = binary.BigEndian.AppendUint32(body, 1)
	body = append(body, '1')
	out := binary.BigEndian.AppendUint32(make([]byte, 0, 5+len(body)), uint32(1+len(body)))
	out = append(out, fxpVersion)
	out = append(out, body...)
	s.version = nil
	_, err := s.ch.Write(out)
	s.boundary.Broadcast()
	return err
}
