package spool

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSenderRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "upload"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok := ReadSender(f.Name()); ok {
		t.Fatal("a new file says who sent it")
	}
	want := Sender{Login: "ampthill", Role: "school", Remote: "2001:db8::7"}
	if err := WriteSender(f, want); err != nil {
		t.Skipf("no user extended attributes here: %v", err)
	}
	// The attribute moves with the file.
	moved := filepath.Join(dir, "8231234_CTF_8232345_001.XML")
	if err := MoveNoReplace(f.Name(), moved); err != nil {
		t.Fatal(err)
	}
	if got, ok := ReadSender(moved); !ok || got != want {
		t.Fatalf("ReadSender = %+v, %t; want %+v", got, ok, want)
	}
}
