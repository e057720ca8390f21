package routing

import (
	"fmt"
	"strconv"
	"strings"
)

// maxListed is how many pupil positions a finding lists before it says
// "and N more".
const maxListed = 10

// findings collects per-pupil findings and groups the pupils that share
// one, so that a batch of a thousand pupils with the same fault gives one
// line, not a thousand. It keeps the order in which findings first appear.
type findings struct {
	order   []string
	pupils  map[string][]int
	general []string
}

// add records a finding about a whole file.
func (f *findings) add(format string, args ...any) {
	f.general = append(f.general, fmt.Sprintf(format, args...))
}

// pupil records a finding about the pupil at 1-based position pos. The
// finding must not hold pupil data.
func (f *findings) pupil(pos int, finding string) {
	if f.pupils == nil {
		f.pupils = map[string][]int{}
	}
	if _, ok := f.pupils[finding]; !ok {
		f.order = append(f.order, finding)
	}
	f.pupils[finding] = append(f.pupils[finding], pos)
}

// lines returns the file's findings, then the pupils', e.g.
// "pupil 3: UPN check letter is wrong" or
// "pupils 1, 4 and 7: Surname has double spaces".
func (f *findings) lines() []string {
	out := append([]string(nil), f.general...)
	for _, finding := range f.order {
		out = append(out, listPupils(f.pupils[finding])+": "+finding)
	}
	return out
}

func listPupils(pos []int) string {
	if len(pos) == 1 {
		return "pupil " + strconv.Itoa(pos[0])
	}
	n := min(len(pos), maxListed)
	s := make([]string, n)
	for i := range n {
		s[i] = strconv.Itoa(pos[i])
	}
	if more := len(pos) - n; more > 0 {
		return fmt.Sprintf("pupils %s and %d more", strings.Join(s, ", "), more)
	}
	return "pupils " + strings.Join(s[:n-1], ", ") + " and " + s[n-1]
}
