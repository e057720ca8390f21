package routing

import "testing"

func TestValidUPN(t *testing.T) {
	tests := []struct {
		upn   string
		valid bool
		fault string
	}{
		// SPEC section 4's vectors.
		{"B801200005001", true, ""},
		{"R674123101121", true, ""},
		{"A660123423001", true, ""},
		{"D93812342400A", true, ""}, // temporary
		{"A801200005001", false, "check letter is wrong"},
		// More.
		{"F823123414001", true, ""},
		{"C82312341500A", true, ""}, // temporary, letter worth 0
		{"Z82312341500A", false, "check letter is wrong"},
		{"b801200005001", false, "must start with a check letter"}, // letters are upper case
		{"I801200005001", false, "must start with a check letter"}, // I, O and S are never check letters
		{"O801200005001", false, "must start with a check letter"},
		{"S801200005001", false, "must start with a check letter"},
		{"1801200005001", false, "must start with a check letter"},
		{"B80120000500", false, "must be 13 characters"},
		{"B8012000050011", false, "must be 13 characters"},
		{"", false, "must be 13 characters"},
		{"B80120A005001", false, "must have digits in positions 2 to 12"},
		{"B80120000500-", false, "must end in a digit, or a letter for a temporary UPN"},
		{"D93812342400I", false, "must end in a digit, or a letter for a temporary UPN"},
		{"D93812342400a", false, "must end in a digit, or a letter for a temporary UPN"},
		{"D93812342400B", false, "check letter is wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.upn, func(t *testing.T) {
			if got := ValidUPN(tt.upn); got != tt.valid {
				t.Errorf("ValidUPN(%q) = %v, want %v", tt.upn, got, tt.valid)
			}
			if got := upnFault(tt.upn); got != tt.fault {
				t.Errorf("upnFault(%q) = %q, want %q", tt.upn, got, tt.fault)
			}
		})
	}
}

// Every change of one digit of a valid UPN breaks its check letter: the
// weights 2–13 and the digit differences 1–9 are all prime to 23.
func TestValidUPNCatchesEverySingleDigitError(t *testing.T) {
	for _, upn := range []string{"B801200005001", "R674123101121", "A660123423001"} {
		for i := 1; i < 13; i++ {
			for d := byte('0'); d <= '9'; d++ {
				if upn[i] == d {
					continue
				}
				bad := upn[:i] + string(d) + upn[i+1:]
				if ValidUPN(bad) {
					t.Errorf("ValidUPN(%q) = true for a mistyped %s", bad, upn)
				}
			}
		}
	}
}
