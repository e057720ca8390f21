package delivery

// Metrics is told the outcome of each routed file, for monitoring. A nil
// Metrics in Config counts nothing.
type Metrics interface {
	// Routed counts box/name's routing outcome: OutcomeRouted or
	// OutcomeRejected.
	Routed(box, name, outcome string)
}

// Routing outcomes.
const (
	OutcomeRouted   = "routed"
	OutcomeRejected = "rejected"
)

// routed tells the metrics, if any.
func (r *Router) routed(box, name, outcome string) {
	if r.cfg.Metrics != nil {
		r.cfg.Metrics.Routed(box, name, outcome)
	}
}
