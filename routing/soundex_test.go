package routing

import "testing"

func TestSoundex(t *testing.T) {
	for name, want := range map[string]string{
		// SPEC section 7
		"Robert": "R163", "Rupert": "R163", "Ashcraft": "A261", "Ashcroft": "A261",
		"Tymczak": "T522", "Pfister": "P236",
		// the US National Archives' rules and examples
		"Washington": "W252", "Lee": "L000", "Gutierrez": "G362", "Jackson": "J250",
		"Honeyman": "H555", "Rubin": "R150", "Lloyd": "L300", "Euler": "E460", "Ellery": "E460",
		"Gauss": "G200", "Ghosh": "G200", "Hilbert": "H416", "Heilbronn": "H416",
		"Knuth": "K530", "Kant": "K530", "Lukasiewicz": "L222", "Lissajous": "L222",
		// case, spaces and punctuation
		"o'brien": "O165", "O'Brien": "O165", "van der Berg": "V536", "SMITH": "S530",
		"Smyth": "S530", "": "", "-": "", "A": "A000",
	} {
		if got := Soundex(name); got != want {
			t.Errorf("Soundex(%q) = %q, want %q", name, got, want)
		}
	}
}
