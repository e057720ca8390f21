package mailer

// Metrics is told of failed deliveries, for monitoring.
type Metrics interface {
	// MailFailed counts a failed delivery attempt: FailTemporary (it will
	// be retried), FailPermanent (given up) or FailPartial (refused for
	// some recipients).
	MailFailed(kind string)
}

// Delivery failure kinds.
const (
	FailTemporary = "temporary"
	FailPermanent = "permanent"
	FailPartial   = "partial"
)

// SetMetrics makes w report to m. Call it before Start; nil reports
// nothing.
func (w *Worker) SetMetrics(m Metrics) { w.metrics = m }

func (w *Worker) failed(kind string) {
	if w.metrics != nil {
		w.metrics.MailFailed(kind)
	}
}
