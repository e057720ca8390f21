package routing

import "strings"

// Soundex returns the American Soundex code of a surname, e.g. R163 for
// Robert and Rupert: the first letter, then up to three digits for the
// consonant groups that follow, where letters with the same digit side by
// side, or separated only by H or W, count once, and vowels separate
// them. Characters other than ASCII letters are ignored. It returns "" for
// a name with no letter.
func Soundex(name string) string {
	const codes = "01230120022455012623010202" // A..Z
	var out []byte
	var last byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c < 'A' || c > 'Z' {
			continue
		}
		code := codes[c-'A']
		if len(out) == 0 {
			out = append(out, c)
			last = code
			continue
		}
		switch {
		case c == 'H' || c == 'W': // transparent: keep last
		case code == '0': // a vowel (or Y) separates
			last = 0
		case code != last:
			out = append(out, code)
			last = code
		}
		if len(out) == 4 {
			break
		}
	}
	if len(out) == 0 {
		return ""
	}
	return string(out) + strings.Repeat("0", 4-len(out))
}
