package delivery

import (
	"encoding/json"

	"github.com/s2sd/s2sd/ledger"
)

// plan is the router's decision for one upload, stored in the ledger
// before any file moves so that a restart carries out the same decision.
// It holds no pupil data.
type plan struct {
	Reject   bool          `json:"reject,omitempty"`
	Reasons  []string      `json:"reasons,omitempty"`
	DestPath string        `json:"dest_path"` // data-relative: inbox, lost store or rejected file
	Copies   []ledger.Copy `json:"copies,omitempty"`

	Kind      string   `json:"kind,omitempty"`
	Sender    string   `json:"sender,omitempty"`
	SenderLA  string   `json:"sender_la,omitempty"`
	Addressed string   `json:"addressed,omitempty"`
	Dest      string   `json:"dest,omitempty"`
	DestLA    string   `json:"dest_la,omitempty"`
	Pupils    int      `json:"pupils,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
	Lost      bool     `json:"lost,omitempty"`
}

func (p plan) encode() string {
	b, _ := json.Marshal(p)
	return string(b)
}

func decodePlan(s string) (plan, error) {
	var p plan
	err := json.Unmarshal([]byte(s), &p)
	return p, err
}
