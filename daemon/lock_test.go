package daemon

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/rs/zerolog"
)

// TestSecondDaemonRefused: a second daemon on a served data directory is
// refused before it touches anything, so the first one's uploads in
// progress in staging survive; once the first is closed, it starts.
func TestSecondDaemonRefused(t *testing.T) {
	cfg := testConfig(t)
	first, err := Open(context.Background(), cfg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if first != nil {
			first.Close(context.Background())
		}
	}()
	staging := filepath.Join(cfg.DataPath("spool"), "8231234", ".staging")
	if err := os.MkdirAll(staging, 0o700); err != nil {
		t.Fatal(err)
	}
	inProgress := filepath.Join(staging, "0123456789abcdef01234567")
	if err := os.WriteFile(inProgress, []byte("half an upload"), 0o600); err != nil {
		t.Fatal(err)
	}

	second, err := Open(context.Background(), cfg, zerolog.Nop())
	want := fmt.Sprintf("data directory %s is being served by process %d: stop that s2sd before starting another on the same data directory", cfg.Data, os.Getpid())
	if err == nil || err.Error() != want {
		if second != nil {
			second.Close(context.Background())
		}
		t.Fatalf("second daemon: %v, want %q", err, want)
	}
	if b, err := os.ReadFile(inProgress); err != nil || string(b) != "half an upload" {
		t.Fatalf("the first daemon's upload in progress: %q, %v", b, err)
	}

	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	first = nil
	second, err = Open(context.Background(), cfg, zerolog.Nop())
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	if err := second.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}
