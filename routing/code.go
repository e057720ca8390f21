// Package routing holds the rules of the transfer service: party codes,
// the file name grammar, content validation and where a file goes. It is
// pure: it knows nothing of SFTP, SMTP or the ledger's storage.
package routing

import (
	"fmt"
	"strings"
)

// Kind is the kind of party a code names.
type Kind string

// The kinds of party. The first four have mailboxes; the last two are the
// Lost Pupil Database's destinations.
const (
	KindSchool       Kind = "school"
	KindLA           Kind = "la"
	KindLAPlasc      Kind = "la-plasc"
	KindLAAdmissions Kind = "la-admissions"
	KindLostUnknown  Kind = "lost-unknown" // XXXXXXX
	KindLostLeft     Kind = "lost-left"    // MMMMMMM
)

// Lost Pupil Database codes.
const (
	CodeLostUnknown = "XXXXXXX"
	CodeLostLeft    = "MMMMMMM"
)

// MailboxKinds lists the kinds a mailbox may have, in display order.
func MailboxKinds() []Kind {
	return []Kind{KindSchool, KindLA, KindLAPlasc, KindLAAdmissions}
}

// HasMailbox reports whether parties of this kind have a mailbox.
func (k Kind) HasMailbox() bool {
	switch k {
	case KindSchool, KindLA, KindLAPlasc, KindLAAdmissions:
		return true
	}
	return false
}

// IsLA reports whether the kind is one of an LA's own codes.
func (k Kind) IsLA() bool {
	return k == KindLA || k == KindLAPlasc || k == KindLAAdmissions
}

// ParseKind parses a mailbox kind as written on the command line.
func ParseKind(s string) (Kind, error) {
	for _, k := range MailboxKinds() {
		if strings.EqualFold(s, string(k)) {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown mailbox kind %q: use one of school, la, la-plasc, la-admissions", s)
}

// Code is a parsed 7-character party code.
type Code struct {
	Value string // upper case, e.g. "8231234" or "823LLLL"
	Kind  Kind
	LA    string // the 3-digit LA number; empty for the Lost Pupil Database
}

func (c Code) String() string { return c.Value }

// ParseCode parses and classifies a party code, case-insensitively. The LA
// number of a school or LA code must be one of las.
func ParseCode(s string, las LANumbers) (Code, error) {
	if len(s) != 7 {
		return Code{}, fmt.Errorf("code %q must be 7 characters: a school's DfE number (e.g. 8231234) or an LA code (e.g. 823LLLL)", s)
	}
	u := strings.ToUpper(s)
	switch u {
	case CodeLostUnknown:
		return Code{Value: u, Kind: KindLostUnknown}, nil
	case CodeLostLeft:
		return Code{Value: u, Kind: KindLostLeft}, nil
	}
	la, rest := u[:3], u[3:]
	if !allDigits(la) {
		return Code{}, fmt.Errorf("code %q must start with a 3-digit LA number", s)
	}
	kind := kindOfSuffix(rest)
	if kind == "" {
		return Code{}, fmt.Errorf("code %q is not a school's DfE number (LLLSSSS) or an LA code (LLLLLLL, LLLPLAS, LLLADMS)", s)
	}
	if !las.Valid(la) {
		return Code{}, fmt.Errorf("code %q: %s is not a known LA number", s, la)
	}
	return Code{Value: u, Kind: kind, LA: la}, nil
}

// kindOfSuffix classifies the last four characters of an upper-case code:
// an establishment number or one of the LA suffixes. It returns "" for
// anything else.
func kindOfSuffix(rest string) Kind {
	switch {
	case len(rest) == 4 && allDigits(rest):
		return KindSchool
	case rest == "LLLL":
		return KindLA
	case rest == "PLAS":
		return KindLAPlasc
	case rest == "ADMS":
		return KindLAAdmissions
	}
	return ""
}

// LACode returns the code of the LA's own mailbox, e.g. "823LLLL".
func LACode(la string) string { return la + "LLLL" }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
