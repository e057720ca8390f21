package daemon

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/crypto/ssh"
)

const (
	// stormClientEnv, set to the daemon's address, makes the test binary
	// run the storm's clients instead of the tests.
	stormClientEnv = "S2SD_TEST_STORM_CLIENT"
	// stormAttempts is how many password attempts one storm makes at once.
	stormAttempts = 500
)

// BenchmarkLoginStorm makes 500 concurrent password attempts against a
// real daemon hashing with the real argon2id parameters
// (auth.DefaultParams: 19 MiB, t=2) under the default cap of 4
// concurrent hashes, and reports the server's peak memory.
//
// It measures the worst case: the per-address connection limit and the
// per-address lockout are lifted (as if the attempts came from 500
// addresses), and every attempt names a different unknown login, so every
// one is hashed. The clients run in a child process, so that the figures
// (the peak of runtime.MemStats.HeapInuse, sampled every 10ms, and the
// process's VmHWM) are the server's alone.
//
//	go test ./daemon -run '^$' -bench LoginStorm -benchtime 3x
func BenchmarkLoginStorm(b *testing.B) {
	cfg := testConfig(b)
	cfg.Metrics.Listen = ""
	cfg.SSH.MaxConnsPerAddress = 2 * stormAttempts
	cfg.SSH.MaxConns = 2 * stormAttempts
	cfg.SSH.HandshakeTimeout = 5 * time.Minute
	cfg.Auth.AddressLockoutThreshold = 1 << 30
	d, err := Open(context.Background(), cfg, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close(context.Background())
	addr := d.SFTP.Addr().String()

	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})

	start := time.Now()
	for b.Loop() {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), stormClientEnv+"="+addr)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("storm clients: %v\n%s", err, out)
		}
	}
	elapsed := time.Since(start)
	close(stop)
	wg.Wait()

	const mib = 1 << 20
	b.ReportMetric(float64(peak.Load())/mib, "peak-heap-MiB")
	if hwm, err := vmHWM(); err == nil {
		b.ReportMetric(float64(hwm)/mib, "VmHWM-MiB")
	} else {
		b.Logf("VmHWM: %v", err)
	}
	b.ReportMetric(float64(stormAttempts*b.N)/elapsed.Seconds(), "attempts/s")
}

// stormClients makes stormAttempts concurrent password attempts against
// addr, each as a different unknown login, and returns the exit status:
// 0 if every one was refused as it should be.
func stormClients(addr string) int {
	var wg sync.WaitGroup
	var refused, other atomic.Int64
	var firstOther atomic.Value
	for i := range stormAttempts {
		wg.Go(func() {
			c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
				User:            fmt.Sprintf("storm%04d", i),
				Auth:            []ssh.AuthMethod{ssh.Password("not-the-password-" + strconv.Itoa(i))},
				HostKeyCallback: ssh.InsecureIgnoreHostKey(),
				Timeout:         5 * time.Minute,
			})
			switch {
			case err == nil:
				c.Close()
				other.Add(1)
				firstOther.CompareAndSwap(nil, "logged in")
			case strings.Contains(err.Error(), "unable to authenticate"):
				refused.Add(1)
			default:
				other.Add(1)
				firstOther.CompareAndSwap(nil, err.Error())
			}
		})
	}
	wg.Wait()
	if other.Load() > 0 {
		fmt.Printf("%d refused, %d otherwise, first: %v\n", refused.Load(), other.Load(), firstOther.Load())
		return 1
	}
	return 0
}

// vmHWM returns this process's peak resident set size, in bytes.
func vmHWM() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}
