package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// s2sdServer is s2sd serving a data directory of its own, with its
// metrics on another loopback port.
type s2sdServer struct {
	name              string // in the report: "s2sd", or "s2sd B" for -compare
	bin, data, config string
	addr, metrics     string
	srv               *server
	key               keyPair // every bench user logs in with it
	users             map[string]bool
	boxes             map[string]bool
}

// buildS2SD builds ./cmd/s2sd of the module the bench is run from.
func buildS2SD(ctx context.Context, out string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/s2sd/s2sd/cmd/s2sd")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/s2sd: %v\n%s", err, b)
	}
	return nil
}

// s2sdConfig raises the limits the workloads need, and keeps everything
// else, durability included, at its default.
const s2sdConfig = `# s2sd-bench: the defaults, with the limits the workloads need raised.
[log]
level = "info"

[metrics]
listen = "%s"

[sftp]
max_generic_la = %d

[ssh]
max_conns_per_address = 5000
max_conns = 5000
`

// startS2SD starts s2sd on a fresh data directory under dir.
func startS2SD(ctx context.Context, name, bin, dir string, key keyPair, maxGeneric int64) (*s2sdServer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	mport, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &s2sdServer{
		name: name, bin: bin, data: filepath.Join(dir, "data"), config: filepath.Join(dir, "s2sd.toml"),
		addr: fmt.Sprintf("127.0.0.1:%d", port), metrics: fmt.Sprintf("127.0.0.1:%d", mport),
		key: key, users: map[string]bool{}, boxes: map[string]bool{},
	}
	if err := os.WriteFile(s.config, fmt.Appendf(nil, s2sdConfig, s.metrics, maxGeneric), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--data", s.data, "--config", s.config, "--listen", s.addr)
	s.srv, err = startServer("s2sd", cmd, filepath.Join(dir, "s2sd.log"))
	if err != nil {
		return nil, err
	}
	if err := waitListening(ctx, s.srv, s.addr, 30*time.Second); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w (see %s)", err, filepath.Join(dir, "s2sd.log"))
	}
	return s, nil
}

func (s *s2sdServer) stop() { s.srv.stop(10 * time.Second) }

func (s *s2sdServer) port() int {
	_, p, _ := strings.Cut(s.addr, ":")
	n, _ := strconv.Atoi(p)
	return n
}

// cli runs an s2sd administration command on the server's data.
func (s *s2sdServer) cli(ctx context.Context, args ...string) error {
	args = append(args, "--data", s.data, "--config", s.config)
	b, err := exec.CommandContext(ctx, s.bin, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("s2sd %s: %v: %s", strings.Join(args[:2], " "), err, strings.TrimSpace(string(b)))
	}
	return nil
}

// mailbox adds mailbox code (a school, or an LA with copies on) once.
func (s *s2sdServer) mailbox(ctx context.Context, code string) error {
	if s.boxes[code] {
		return nil
	}
	if err := s.cli(ctx, "mailbox", "add", code, "--name", "Bench "+code, "--email", "bench@bedford.gov.uk"); err != nil {
		return err
	}
	s.boxes[code] = true
	return nil
}

// user adds a user of mailbox code, logging in with the bench key, once,
// and returns its login.
func (s *s2sdServer) user(ctx context.Context, code string) (string, error) {
	login := "b" + strings.ToLower(code)
	if s.users[login] {
		return login, nil
	}
	if err := s.mailbox(ctx, code); err != nil {
		return "", err
	}
	role := "school"
	if strings.HasSuffix(code, "LLLL") {
		role = "la-user"
	}
	if err := s.cli(ctx, "user", "add", login, "--mailbox", code, "--role", role,
		"--email", "bench@bedford.gov.uk", "--key", s.key.Public); err != nil {
		return "", err
	}
	s.users[login] = true
	return login, nil
}

// inbox is the directory on disk of a mailbox's inbox: DATA/spool/CODE/inbox
// (spool.Layout under the data directory).
func (s *s2sdServer) inbox(code string) string { return filepath.Join(s.data, "spool", code, "inbox") }

// scrape reads the metrics s2sd exposes: each sample line's name with its
// labels, and its value.
func (s *s2sdServer) scrape(ctx context.Context) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+s.metrics+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape s2sd metrics: %w", err)
	}
	defer resp.Body.Close()
	m := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %w", line, err)
		}
		m[line[:i]] = v
	}
	return m, sc.Err()
}

const routedMetric = `s2sd_routed_files_total{outcome="routed"}`
const rejectedMetric = `s2sd_routed_files_total{outcome="rejected"}`
const cpuMetric = `process_cpu_seconds_total`

// durableMetric is the histogram of the time each acknowledgement spends
// making its upload durable (its record in staging, the fsyncs, its move
// into the outbox): what CLOSE costs s2sd beyond what sftp-server does.
const durableMetric = `s2sd_upload_durable_seconds`

// waitRouted polls the metrics until at least n files have been routed in
// all, and returns when it saw that. A rejection is an error: every file
// the bench sends is valid.
func (s *s2sdServer) waitRouted(ctx context.Context, n float64, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		m, err := s.scrape(ctx)
		if err != nil {
			return time.Time{}, err
		}
		now := time.Now()
		if m[rejectedMetric] > 0 {
			return now, fmt.Errorf("s2sd rejected %v file(s); see the rejected/ folders and the log", m[rejectedMetric])
		}
		if m[routedMetric] >= n {
			return now, nil
		}
		if now.After(deadline) {
			return now, fmt.Errorf("only %v of %v files routed after %v", m[routedMetric], n, timeout)
		}
		select {
		case <-ctx.Done():
			return now, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// latencyHistogram reads the cumulative routing latency histogram.
func (s *s2sdServer) latencyHistogram(ctx context.Context) (histogram, error) {
	m, err := s.scrape(ctx)
	if err != nil {
		return nil, err
	}
	var h histogram
	const prefix = `s2sd_routing_latency_seconds_bucket{le="`
	for k, v := range m {
		le, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		le = strings.TrimSuffix(le, `"}`)
		b, err := strconv.ParseFloat(le, 64) // "+Inf" parses as +Inf
		if err != nil {
			return nil, fmt.Errorf("latency bucket %q: %w", k, err)
		}
		h = append(h, bucket{le: b, count: v})
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("s2sd exposes no s2sd_routing_latency_seconds histogram")
	}
	h.sort()
	return h, nil
}
