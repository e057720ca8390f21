package jobs

// Metrics is told what retention deleted, for monitoring.
type Metrics interface {
	// RetentionDeleted counts n deletions by rule: "uncollected",
	// "collected", "rejected", "lost_pupil" or "metadata" (ledger rows).
	RetentionDeleted(rule string, n int64)
}

// SetMetrics makes j report to m. Call it before the jobs run; nil
// reports nothing.
func (j *Jobs) SetMetrics(m Metrics) { j.metrics = m }

// countDeletions reports what one retention run deleted.
func (j *Jobs) countDeletions(r *Report) {
	if j.metrics == nil {
		return
	}
	for _, c := range []struct {
		rule string
		n    int64
	}{
		{"uncollected", int64(r.Expired)}, {"collected", int64(r.Purged)}, {"rejected", int64(r.RejectedDeleted)},
		{"lost_pupil", int64(r.LostRemoved)}, {"metadata", r.MetadataPurged},
	} {
		if c.n > 0 {
			j.metrics.RetentionDeleted(c.rule, c.n)
		}
	}
}
