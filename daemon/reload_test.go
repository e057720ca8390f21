package daemon

import (
	"slices"
	"testing"
	"time"

	"github.com/s2sd/s2sd/config"
)

func TestChangedKeys(t *testing.T) {
	a := config.Default()
	b := config.Default()
	if got := changedKeys(a, b); len(got) != 0 {
		t.Fatalf("identical configs differ in %v", got)
	}
	b.Listen = "127.0.0.1:22"
	b.SFTP.RecentWindow = time.Minute
	b.SSH.Ciphers = []string{"aes128-ctr"}
	if got, want := changedKeys(a, b), []string{"listen", "sftp.recent_window", "ssh.ciphers"}; !slices.Equal(got, want) {
		t.Fatalf("changed %v, want %v", got, want)
	}
}
