package sftpd

import (
	"bytes"
	"encoding/binary"
	"io"
	"slices"
	"sync"
	"testing"
	"time"
)

// pipeChannel is a session channel in memory: the test writes what the
// client sends into in, and reads what the server sent from out.
type pipeChannel struct {
	in     *io.PipeReader
	c      chan struct{} // a write arrived
	mu     sync.Mutex
	out    bytes.Buffer
	writes []int // the length of each write
}

func (p *pipeChannel) Read(b []byte) (int, error) { return p.in.Read(b) }
func (p *pipeChannel) Write(b []byte) (int, error) {
	p.mu.Lock()
	p.out.Write(b)
	p.writes = append(p.writes, len(b))
	p.mu.Unlock()
	p.c <- struct{}{}
	return len(b), nil
}

// sent returns what the server has sent so far.
func (p *pipeChannel) sent() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.out.Bytes())
}

func (p *pipeChannel) reset() {
	p.mu.Lock()
	p.out.Reset()
	p.mu.Unlock()
}
func (p *pipeChannel) Close() error { return p.in.Close() }

func packet(typ byte, body ...[]byte) []byte {
	var b []byte
	for _, x := range body {
		b = append(b, x...)
	}
	out := binary.BigEndian.AppendUint32(nil, uint32(1+len(b)))
	return append(append(out, typ), b...)
}

func sshString(s string) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(s))), s...)
}

func u32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// TestLimitsStream: VERSION gains limits@openssh.com; the client's
// request for it is answered between two packets of the request server,
// never inside one; every other packet passes through unchanged.
func TestLimitsStream(t *testing.T) {
	pr, pw := io.Pipe()
	ch := &pipeChannel{in: pr, c: make(chan struct{}, 100)}
	s := newLimitsStream(ch)

	// VERSION, written in two pieces.
	version := packet(fxpVersion, u32(3), sshString("statvfs@openssh.com"), sshString("2"))
	s.Write(version[:5])
	s.Write(version[5:])
	want := packet(fxpVersion, u32(3), sshString("statvfs@openssh.com"), sshString("2"),
		sshString(limitsExtension), sshString("1"))
	if got := ch.sent(); !bytes.Equal(got, want) {
		t.Fatalf("VERSION sent as %x\nwant %x", got, want)
	}
	ch.reset()

	// The request server has sent the header of a DATA reply when the
	// client's limits request arrives.
	payload := bytes.Repeat([]byte{0xab}, 1000)
	data := packet(103, u32(7), u32(uint32(len(payload))), payload)
	s.Write(data[:13])
	statvfs := packet(fxpExtended, u32(8), sshString("statvfs@openssh.com"), sshString("/"))
	read := make(chan []byte)
	go func() {
		b := make([]byte, len(statvfs))
		_, err := io.ReadFull(s, b)
		if err != nil {
			t.Error(err)
		}
		read <- b
	}()
	go func() {
		pw.Write(packet(fxpExtended, u32(9), sshString(limitsExtension)))
		pw.Write(statvfs)
	}()
	// The reply waits for the rest of the DATA packet, and the reading
	// side with it.
	time.Sleep(100 * time.Millisecond)
	if got := len(ch.sent()); got != 13 {
		t.Fatalf("%d bytes sent before the DATA packet was complete, want its 13-byte header alone", got)
	}
	s.Write(data[13:])
	deadline := time.After(5 * time.Second)
	reply := packet(fxpExtendedReply, u32(9), binary.BigEndian.AppendUint64(nil, maxPacketLength),
		binary.BigEndian.AppendUint64(nil, maxDataLength), binary.BigEndian.AppendUint64(nil, maxDataLength),
		binary.BigEndian.AppendUint64(nil, 4))
	for len(ch.sent()) < len(data)+len(reply) {
		select {
		case <-ch.c:
		case <-deadline:
			t.Fatalf("no limits reply after the DATA packet: %x", ch.sent())
		}
	}
	if got := ch.sent(); !bytes.Equal(got, append(append([]byte{}, data...), reply...)) {
		t.Fatalf("sent %x\nwant the DATA packet, then %x", got, reply)
	}
	select {
	case b := <-read:
		if !bytes.Equal(b, statvfs) {
			t.Fatalf("passed on %x, want %x", b, statvfs)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request after limits@openssh.com was not passed on")
	}
}

// TestLimitsStreamWrites: each channel write becomes an SSH packet of its
// own, so the stream sends a reply the request server writes at once as
// one write, and a DATA reply written as its header and then its payload
// as two, never a packet's five-byte start alone.
func TestLimitsStreamWrites(t *testing.T) {
	ch := &pipeChannel{c: make(chan struct{}, 100)}
	s := newLimitsStream(ch)
	status := packet(101, u32(7), u32(0), sshString(""), sshString(""))
	data := packet(103, u32(8), u32(3), []byte("abc")) // SSH_FXP_DATA
	for _, w := range [][]byte{status, data[:13], data[13:]} {
		if n, err := s.Write(w); n != len(w) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got := ch.sent(); !bytes.Equal(got, append(bytes.Clone(status), data...)) {
		t.Fatalf("sent %x", got)
	}
	if want := []int{len(status), 13, 3}; !slices.Equal(ch.writes, want) {
		t.Fatalf("channel writes of %v bytes, want %v", ch.writes, want)
	}
}
