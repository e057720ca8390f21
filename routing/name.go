package routing

import (
	"fmt"
	"strings"
)

// FileType is the kind of file a name announces.
type FileType string

// The file types. CTF, CML and CMJ files are XML; generic files are zips.
const (
	TypeCTF     FileType = "CTF"     // Common Transfer File
	TypeCML     FileType = "CML"     // children missing education: leavers
	TypeCMJ     FileType = "CMJ"     // children missing education: joiners
	TypeGeneric FileType = "generic" // any other file, sent as a zip
)

// IsXML reports whether files of this type are CTF-like XML files.
func (t FileType) IsXML() bool { return t == TypeCTF || t == TypeCML || t == TypeCMJ }

// Name is a file name parsed by ParseName. Its fields are normalised to
// upper case; Original keeps the name as it was sent, which is the name the
// file is stored under.
type Name struct {
	Original string
	Source   Code
	Dest     Code
	Type     FileType
	Seq      string // the sender's 3-digit sequence number; empty for generic files
	Text     string // the free text of a generic file; empty otherwise
	Ext      string // "XML" or "ZIP"
}

// String returns the name as it was sent.
func (n Name) String() string { return n.Original }

// IsLost reports whether the file goes to the Lost Pupil Database.
func (n Name) IsLost() bool {
	return n.Dest.Kind == KindLostUnknown || n.Dest.Kind == KindLostLeft
}

// IsXML reports whether the file is a CTF-like XML file: CTF, CML or CMJ.
func (n Name) IsXML() bool { return n.Type.IsXML() }

// IsAdmissions reports whether the file is sent by or to an LA's
// admissions team, whose CTFs may be admissions transfer files (ATfile).
func (n Name) IsAdmissions() bool {
	return n.Source.Kind == KindLAAdmissions || n.Dest.Kind == KindLAAdmissions
}

// IsGeneric reports whether the file is a generic zip.
func (n Name) IsGeneric() bool { return n.Type == TypeGeneric }

// Canonical returns the name in its normal upper-case form, with the
// underscore after CTF that the LA form may leave out. Two names with the
// same canonical form name the same transfer.
func (n Name) Canonical() string {
	if n.IsGeneric() {
		return n.Source.Value + "_" + n.Dest.Value + "_" + n.Text + "." + n.Ext
	}
	return n.Source.Value + "_" + string(n.Type) + "_" + n.Dest.Value + "_" + n.Seq + "." + n.Ext
}

// NameError says why a file name is not valid. Its text is meant for the
// person or system that chose the name.
type NameError struct {
	Name   string // the name as sent
	Reason string // what is wrong and what to do
}

func (e *NameError) Error() string { return fmt.Sprintf("file name %q: %s", e.Name, e.Reason) }

// Examples of valid names, used in error messages.
const (
	exampleCTF     = "8231234_CTF_8239999_001.XML"
	exampleGeneric = "8231234_8239999_NOTES.ZIP"
	extensionRule  = "a CTF, CML or CMJ file ends in .XML and a generic file in .ZIP"
)

// ParseName parses a file name against the patterns of SPEC section 4,
// case-insensitively. Codes in the name must be valid for las. The error is
// a *NameError.
func ParseName(name string, las LANumbers) (Name, error) {
	p := nameParser{name: name, las: las}
	n, reason := p.parse()
	if reason != "" {
		return Name{}, &NameError{Name: name, Reason: reason}
	}
	n.Original = name
	return n, nil
}

type nameParser struct {
	name string
	las  LANumbers
}

func (p nameParser) parse() (Name, string) {
	name := p.name
	if name == "" {
		return Name{}, "the name is empty: name a CTF like " + exampleCTF + " and a generic file like " + exampleGeneric
	}
	if strings.ContainsAny(name, "/\\\x00") {
		return Name{}, "a file name cannot contain / or \\ or a NUL character"
	}
	if s := browserSuffix(name); s != "" {
		return Name{}, fmt.Sprintf("ends in %q, which a browser adds to a repeated download: rename the file to its proper name", s)
	}
	if strings.ContainsAny(name, " \t") {
		return Name{}, "contains a space: file names may not contain spaces"
	}
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 || dot == len(name)-1 {
		return Name{}, "has no extension: " + extensionRule
	}
	base, ext := name[:dot], strings.ToUpper(name[dot+1:])
	switch ext {
	case "XML":
		return p.parseXML(base)
	case "ZIP":
		return p.parseZip(base)
	}
	return Name{}, fmt.Sprintf("the extension .%s is not allowed: %s", name[dot+1:], extensionRule)
}

// parseXML parses the part before ".XML": SOURCE_TYPE_DEST_NNN, or an LA's
// SOURCE_CTFDEST_NNN.
func (p nameParser) parseXML(base string) (Name, string) {
	parts := strings.Split(base, "_")
	n := Name{Ext: "XML"}
	var dest string
	compact := false
	switch {
	case len(parts) == 4 && isXMLType(parts[1]):
		n.Type, dest, n.Seq = FileType(strings.ToUpper(parts[1])), parts[2], parts[3]
	case len(parts) == 3 && isXMLType(parts[1]):
		return n, fmt.Sprintf("the sequence number is missing: add your next 3-digit number before the extension, e.g. %s_%s_%s_001.XML",
			parts[0], parts[1], parts[2])
	case len(parts) == 3 && len(parts[1]) > 3 && isXMLType(parts[1][:3]):
		n.Type, dest, n.Seq = FileType(strings.ToUpper(parts[1][:3])), parts[1][3:], parts[2]
		compact = true
	case len(parts) >= 3 && len(parts[1]) == 7:
		return n, "a generic file must be a zip whose name ends in .ZIP: only CTF, CML and CMJ files end in .XML"
	case len(parts) == 4:
		return n, fmt.Sprintf("the part after the source must be CTF, CML or CMJ, not %s", parts[1])
	default:
		return n, "does not follow the pattern SOURCE_CTF_DESTINATION_NNN.XML, e.g. " + exampleCTF
	}
	var reason string
	if n.Source, reason = p.code("source", parts[0]); reason != "" {
		return n, reason
	}
	if !n.Source.Kind.HasMailbox() {
		return n, fmt.Sprintf("the source %s is a Lost Pupil Database code: start the name with your own DfE number", n.Source)
	}
	if compact && (n.Type != TypeCTF || !n.Source.Kind.IsLA()) {
		return n, fmt.Sprintf("put an underscore between %s and the destination, e.g. %s_%s_%s_%s.XML",
			n.Type, parts[0], n.Type, dest, parts[2])
	}
	if n.Dest, reason = p.code("destination", dest); reason != "" {
		return n, reason
	}
	if n.Type != TypeCTF {
		if n.Source.Kind != KindSchool {
			return n, fmt.Sprintf("a %s file is sent by a school: the source %s is not a school's DfE number", n.Type, n.Source)
		}
		if !n.Dest.Kind.IsLA() {
			return n, fmt.Sprintf("a %s file goes to an LA: the destination %s must be an LA code such as %s",
				n.Type, n.Dest, LACode(n.Source.LA))
		}
	}
	if len(n.Seq) != 3 || !allDigits(n.Seq) {
		return n, "the sequence number must be exactly 3 digits, e.g. 001"
	}
	return n, ""
}

// parseZip parses the part before ".ZIP": SOURCE_DEST_TEXT.
func (p nameParser) parseZip(base string) (Name, string) {
	parts := strings.SplitN(base, "_", 3)
	n := Name{Type: TypeGeneric, Ext: "ZIP"}
	if len(parts) >= 2 && (isXMLType(parts[1]) || len(parts[1]) == 10 && isXMLType(parts[1][:3])) {
		return n, fmt.Sprintf("a %s file must end in .XML, not .ZIP", strings.ToUpper(parts[1][:3]))
	}
	if len(parts) == 2 {
		return n, "the text is missing: name a generic file SOURCE_DESTINATION_TEXT.ZIP, e.g. " + exampleGeneric
	}
	if len(parts) < 3 {
		return n, "does not follow the pattern SOURCE_DESTINATION_TEXT.ZIP, e.g. " + exampleGeneric
	}
	var reason string
	if n.Source, reason = p.code("source", parts[0]); reason != "" {
		return n, reason
	}
	if !n.Source.Kind.HasMailbox() {
		return n, fmt.Sprintf("the source %s is a Lost Pupil Database code: start the name with your own DfE number", n.Source)
	}
	if n.Dest, reason = p.code("destination", parts[1]); reason != "" {
		return n, reason
	}
	if !n.Dest.Kind.HasMailbox() {
		return n, fmt.Sprintf("a generic file cannot go to the Lost Pupil Database (%s): only a CTF can", n.Dest)
	}
	text := parts[2]
	switch {
	case text == "":
		return n, "the text after the destination is missing: name a generic file SOURCE_DESTINATION_TEXT.ZIP, e.g. " + exampleGeneric
	case len(text) > 15:
		return n, fmt.Sprintf("the text %s is %d characters long: use at most 15", text, len(text))
	case !isNameText(text):
		return n, fmt.Sprintf("the text %s may hold only letters A-Z, digits, - and _", text)
	}
	n.Text = strings.ToUpper(text)
	return n, ""
}

// code parses one code of a name; what is "source" or "destination".
func (p nameParser) code(what, s string) (Code, string) {
	if s == "" {
		return Code{}, fmt.Sprintf("the %s code is missing: a file name starts with the source's code, then the destination's, e.g. %s", what, exampleCTF)
	}
	if len(s) != 7 {
		return Code{}, fmt.Sprintf("the %s %s must be a 7-character code: a school's DfE number such as 8231234 or an LA code such as 823LLLL", what, s)
	}
	c, err := ParseCode(s, p.las)
	if err == nil {
		return c, ""
	}
	u := strings.ToUpper(s)
	switch {
	case !allDigits(u[:3]):
		return Code{}, fmt.Sprintf("the %s %s must start with a 3-digit LA number", what, s)
	case kindOfSuffix(u[3:]) == "":
		return Code{}, fmt.Sprintf("the %s %s is not a DfE number (LLLSSSS), an LA code (LLLLLLL, LLLPLAS, LLLADMS) or a Lost Pupil Database code (XXXXXXX, MMMMMMM)", what, s)
	}
	return Code{}, fmt.Sprintf("the %s %s starts with %s, which is not a known LA number: check the code", what, s, u[:3])
}

func isXMLType(s string) bool {
	return FileType(strings.ToUpper(s)).IsXML()
}

// isNameText reports whether s holds only ASCII letters, digits, - and _.
func isNameText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// browserSuffix returns the " (1)" a browser adds to a repeated download,
// before the extension or at the very end, or "" if there is none.
func browserSuffix(name string) string {
	base := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		base = name[:i]
	}
	for _, s := range []string{base, name} {
		if !strings.HasSuffix(s, ")") {
			continue
		}
		open := strings.LastIndexByte(s, '(')
		if open < 0 || !allDigits(s[open+1:len(s)-1]) {
			continue
		}
		for open > 0 && s[open-1] == ' ' {
			open--
		}
		return s[open:]
	}
	return ""
}
