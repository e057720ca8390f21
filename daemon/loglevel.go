package daemon

import (
	"io"
	"sync/atomic"

	"github.com/rs/zerolog"
)

// LevelWriter passes on log events at or above a level that may change
// while the daemon runs: SIGHUP applies log.level through it. Every
// component's logger writes through the one LevelWriter, so one change
// reaches them all without a global level.
type LevelWriter struct {
	w   io.Writer
	min atomic.Int32
}

var _ zerolog.LevelWriter = (*LevelWriter)(nil)

// NewLevelWriter returns a LevelWriter onto w passing level and above.
func NewLevelWriter(w io.Writer, level zerolog.Level) *LevelWriter {
	lw := &LevelWriter{w: w}
	lw.SetLevel(level)
	return lw
}

// SetLevel changes the least severe level passed on.
func (w *LevelWriter) SetLevel(level zerolog.Level) { w.min.Store(int32(level)) }

// Level returns the least severe level passed on.
func (w *LevelWriter) Level() zerolog.Level { return zerolog.Level(w.min.Load()) }

// Write passes p on: an event without a level.
func (w *LevelWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

// WriteLevel passes p on if level is at or above the current level.
func (w *LevelWriter) WriteLevel(level zerolog.Level, p []byte) (int, error) {
	if level < w.Level() {
		return len(p), nil
	}
	return w.w.Write(p)
}
