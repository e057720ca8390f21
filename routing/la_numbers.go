package routing

import (
	"fmt"
	"sort"
)

// LANumbers is an immutable set of valid 3-digit LA numbers.
type LANumbers struct {
	set map[string]bool
}

// NewLANumbers builds a set from a list of 3-digit LA numbers.
func NewLANumbers(list []string) (LANumbers, error) {
	set := make(map[string]bool, len(list))
	for _, n := range list {
		if len(n) != 3 || !allDigits(n) {
			return LANumbers{}, fmt.Errorf("LA number %q must be exactly 3 digits", n)
		}
		set[n] = true
	}
	return LANumbers{set: set}, nil
}

// Valid reports whether n is in the set.
func (l LANumbers) Valid(n string) bool { return l.set[n] }

// List returns the numbers in ascending order.
func (l LANumbers) List() []string {
	out := make([]string, 0, len(l.set))
	for n := range l.set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// DefaultLANumbers returns the English LA numbers and the Welsh ones
// (660–681), as DfE publishes them.
func DefaultLANumbers() []string {
	ranges := [][2]int{
		{201, 213}, {301, 320}, {330, 336}, {340, 344}, {350, 359},
		{370, 373}, {380, 384}, {390, 394}, {420, 420},
		{660, 681}, // Wales
		{800, 803}, {805, 808}, {810, 813}, {815, 816}, {821, 823},
		{825, 826}, {830, 831}, {835, 841}, {845, 846}, {850, 852},
		{855, 857}, {860, 861}, {865, 896}, {908, 909}, {916, 916},
		{919, 919}, {921, 921}, {925, 926}, {928, 929}, {931, 931},
		{933, 933}, {935, 938}, {940, 943},
	}
	var out []string
	for _, r := range ranges {
		for n := r[0]; n <= r[1]; n++ {
			out = append(out, fmt.Sprintf("%03d", n))
		}
	}
	return out
}
