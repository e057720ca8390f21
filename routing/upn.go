package routing

import "strings"

// upnLetters maps check values 0–22 to letters; I, O and S are left out.
const upnLetters = "ABCDEFGHJKLMNPQRTUVWXYZ"

// ValidUPN reports whether upn is a well-formed Unique Pupil Number whose
// check letter is right (SPEC section 4).
//
// A UPN is 13 characters: a check letter, 11 digits, and a final digit or,
// for a temporary UPN, a letter from upnLetters. The check letter is
// upnLetters[(Σ value(cᵢ)·i for i = 2..13) mod 23], where i is the
// 1-based position, a digit's value is the digit, and a letter in position
// 13 has its index in upnLetters as value (A=0, B=1, …). This is the DfE
// UPN specification's reading and SPEC's literal one; it gives B, R, A and
// D for the SPEC's vectors. Letters must be upper case, as in the DfE
// specification.
func ValidUPN(upn string) bool { return upnFault(upn) == "" }

// upnFault says what is wrong with a UPN, without repeating it, or returns
// "" if it is valid.
func upnFault(upn string) string {
	if len(upn) != 13 {
		return "must be 13 characters"
	}
	check := strings.IndexByte(upnLetters, upn[0])
	if check < 0 {
		return "must start with a check letter"
	}
	sum := 0
	for i := 1; i < 13; i++ {
		c := upn[i]
		v := int(c) - '0'
		if c < '0' || c > '9' {
			if i < 12 {
				return "must have digits in positions 2 to 12"
			}
			if v = strings.IndexByte(upnLetters, c); v < 0 {
				return "must end in a digit, or a letter for a temporary UPN"
			}
		}
		sum += v * (i + 1)
	}
	if sum%23 != check {
		return "check letter is wrong"
	}
	return ""
}
