package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// Readiness states.
const (
	starting int32 = iota
	ready
	stopping
)

// readyTimeout bounds the readiness check a request to /readyz makes.
const readyTimeout = 2 * time.Second

// Server serves /metrics, /healthz and /readyz on its own listener. Start
// it with Start and stop it with Close; it owns its goroutine.
//
//   - /healthz answers 200 while the process runs.
//   - /readyz answers 200 once SetReady has been called and check passes,
//     and 503 before, when check fails, and after SetStopping.
type Server struct {
	addr  string
	check func(context.Context) error
	log   zerolog.Logger
	state atomic.Int32

	srv *http.Server
	ln  net.Listener
	wg  sync.WaitGroup
}

// NewServer returns a server for m on addr. check, if not nil, is a
// readiness check (the daemon pings the ledger).
func NewServer(addr string, m *Metrics, check func(context.Context) error, log zerolog.Logger) *Server {
	s := &Server{addr: addr, check: check, log: log}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:      promLogger{log},
		ErrorHandling: promhttp.ContinueOnError, // a ledger error loses the queue gauge, not the scrape
		Registry:      m.reg,                    // promhttp_metric_handler_errors_total
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	s.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	return s
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	switch s.state.Load() {
	case starting:
		http.Error(w, "starting", http.StatusServiceUnavailable)
		return
	case stopping:
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	if s.check != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		if err := s.check(ctx); err != nil {
			s.log.Warn().Err(err).Msg("readiness check failed")
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	fmt.Fprintln(w, "ready")
}

// Start binds the listen address and serves in a goroutine of its own.
func (s *Server) Start(ctx context.Context) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error().Err(err).Msg("metrics server stopped")
		}
	}()
	s.log.Info().Str("listen", ln.Addr().String()).Msg("metrics listening")
	return nil
}

// Addr returns the bound address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// SetReady makes /readyz answer 200 (while the check passes).
func (s *Server) SetReady() { s.state.Store(ready) }

// SetStopping makes /readyz answer 503 for good.
func (s *Server) SetStopping() { s.state.Store(stopping) }

// Close stops serving: requests in flight finish until ctx is done, then
// their connections are closed. It waits for the goroutine.
func (s *Server) Close(ctx context.Context) error {
	if s.ln == nil {
		return nil
	}
	s.SetStopping()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	s.wg.Wait()
	return err
}

// promLogger passes promhttp's errors to the log.
type promLogger struct{ log zerolog.Logger }

func (l promLogger) Println(v ...any) { l.log.Error().Msg(fmt.Sprint(v...)) }
