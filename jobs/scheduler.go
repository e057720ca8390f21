package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// Schedule holds the cron expressions (minute hour day month weekday) of
// the jobs, in UK time.
type Schedule struct {
	// WeeklyReminder defaults to Monday 07:00.
	WeeklyReminder string `toml:"weekly_reminder"`
	// Retention defaults to every hour at a quarter past.
	Retention string `toml:"retention"`
}

// DefaultSchedule is SPEC section 6's weekly reminder and an hourly
// retention run.
func DefaultSchedule() Schedule {
	return Schedule{WeeklyReminder: "0 7 * * MON", Retention: "15 * * * *"}
}

// Validate checks each expression and names the one that is wrong.
func (s Schedule) Validate() error {
	for _, f := range []struct{ key, expr string }{{"weekly_reminder", s.WeeklyReminder}, {"retention", s.Retention}} {
		if _, err := cron.ParseStandard(f.expr); err != nil {
			return fmt.Errorf("config: schedule.%s: %q is not a cron expression (minute hour day month weekday): %v", f.key, f.expr, err)
		}
	}
	return nil
}

// Scheduler runs the jobs on their schedule. It owns the cron runner's
// goroutines and waits for a running job at Close.
type Scheduler struct {
	cron *cron.Cron
}

// NewScheduler schedules the jobs.
func NewScheduler(s Schedule, j *Jobs, log zerolog.Logger) (*Scheduler, error) {
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		return nil, err
	}
	c := cron.New(cron.WithLocation(london), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if _, err := c.AddFunc(s.WeeklyReminder, func() {
		n, err := j.WeeklyReminders(context.Background(), time.Now())
		if err != nil {
			log.Error().Err(err).Msg("weekly reminders failed")
			return
		}
		log.Info().Int("notices", n).Msg("weekly reminders queued")
	}); err != nil {
		return nil, fmt.Errorf("schedule.weekly_reminder: %w", err)
	}
	if _, err := c.AddFunc(s.Retention, func() {
		if _, err := j.Retention(context.Background(), time.Now()); err != nil {
			log.Error().Err(err).Msg("retention run failed; it is retried at the next run")
		}
	}); err != nil {
		return nil, fmt.Errorf("schedule.retention: %w", err)
	}
	return &Scheduler{cron: c}, nil
}

// Start starts the schedule.
func (s *Scheduler) Start() { s.cron.Start() }

// Close stops the schedule and waits, until ctx is done, for a job that
// is running.
func (s *Scheduler) Close(ctx context.Context) {
	select {
	case <-s.cron.Stop().Done():
	case <-ctx.Done():
	}
}
