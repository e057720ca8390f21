package routing

import (
	"bytes"
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// scanMax is the largest file ReadCTF reads with its quick scanner; a
// phase transfer's CTFs are a few kilobytes to a few hundred.
const scanMax = 1 << 20

// scan reads a whole file held in data into c, as ReadCTF's token loop
// would, and reports whether it did. It reads only the plain XML that
// MIS software writes: UTF-8, element names of ASCII letters, digits, '_',
// '-' and '.', attributes with quoted values, the five predefined
// entities and character references, comments, and an XML declaration of
// version 1.0 in UTF-8. On anything else (a DOCTYPE, CDATA, a processing
// instruction, a namespace prefix, a limit reached, or any error at all)
// it gives up, and ReadCTF reads the file again with encoding/xml, which
// gives the exact error. So scan need never reject a file: it only
// accepts files that encoding/xml also accepts, with the same result
// (FuzzScanCTF checks both).
func (c *ctfReader) scan(data []byte) bool {
	if !utf8.Valid(data) {
		return false
	}
	s := scanner{data: data}
	// lastLT is where the last '<' was, so that no run of bytes without
	// one is longer than MaxText, as boundedReader requires. Every '<'
	// outside a comment starts a tag, at s.pos; a comment holding one is
	// left to encoding/xml.
	lastLT := -1
	bounded := func() bool {
		ok := s.pos-lastLT-1 <= c.opts.MaxText
		lastLT = s.pos
		return ok
	}
	if bytes.HasPrefix(data, []byte("<?")) && (!bounded() || !s.xmlDecl()) {
		return false
	}
	var open []string // full names of the open elements
	for s.pos < len(s.data) {
		lt := bytes.IndexByte(s.data[s.pos:], '<')
		if lt < 0 {
			lt = len(s.data) - s.pos
		}
		if lt > 0 {
			text, ok := s.text(s.data[s.pos : s.pos+lt])
			if !ok || c.chars(text) != nil {
				return false
			}
			s.pos += lt
			continue
		}
		if !bounded() {
			return false
		}
		switch {
		case s.has("<!--"):
			if !s.comment() {
				return false
			}
		case s.has("</"):
			s.pos += 2
			name, ok := s.span()
			if !ok || len(open) == 0 || open[len(open)-1] != string(name) {
				return false
			}
			s.space()
			if !s.has(">") {
				return false
			}
			s.pos++
			open = open[:len(open)-1]
			c.end()
		default:
			s.pos++
			name, ok := s.name()
			if !ok {
				return false
			}
			empty, ok := s.attrs()
			if !ok || c.start(name) != nil {
				return false
			}
			if empty {
				c.end()
			} else {
				open = append(open, name)
			}
		}
	}
	return bounded() && len(open) == 0 && c.info.Root != ""
}

// scanner is scan's position in the file.
type scanner struct {
	data  []byte
	pos   int
	buf   []byte            // text with its references replaced
	names [nameSlots]string // names read, made a string once (name)
}

// nameSlots is the size of scanner's cache of names. A CTF uses a few
// dozen element names over and over.
const nameSlots = 256

func (s *scanner) has(prefix string) bool {
	return len(s.data)-s.pos >= len(prefix) && string(s.data[s.pos:s.pos+len(prefix)]) == prefix
}

func (s *scanner) space() {
	for s.pos < len(s.data) && isXMLSpace(s.data[s.pos]) {
		s.pos++
	}
}

func isXMLSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// name reads an element or attribute name of ASCII letters, digits, '_',
// '-' and '.', starting with a letter or '_'. A namespace prefix is not
// read: the caller gives up.
//
// Each name is made a string once and then found again in names, a
// table indexed by the name's length and its first and last bytes: for
// a 10 KB CTF, 42 µs against 51 µs with a map (BenchmarkReadCTF).
func (s *scanner) name() (string, bool) {
	b, ok := s.span()
	if !ok {
		return "", false
	}
	slot := &s.names[(len(b)*31+int(b[0])*7+int(b[len(b)-1]))%nameSlots]
	if *slot != string(b) {
		*slot = string(b)
	}
	return *slot, true
}

// span is name without making a string: the name's bytes in the file.
func (s *scanner) span() ([]byte, bool) {
	start := s.pos
	for s.pos < len(s.data) {
		b := s.data[s.pos]
		letter := b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_'
		if !letter && (s.pos == start || !(b >= '0' && b <= '9' || b == '-' || b == '.')) {
			break
		}
		s.pos++
	}
	if s.pos == start {
		return nil, false
	}
	return s.data[start:s.pos], true
}

// attrName reads an attribute name: a name, or a prefix, ':' and a name,
// as in xmlns:xsi. Attributes do not change what ReadCTF reads.
func (s *scanner) attrName() (string, bool) {
	start := s.pos
	if _, ok := s.span(); !ok {
		return "", false
	}
	if s.has(":") {
		s.pos++
		if _, ok := s.span(); !ok {
			return "", false
		}
	}
	return string(s.data[start:s.pos]), true
}

// attrs reads what follows an element's name up to its '>' or '/>':
// attributes, each name="value" or name='value', once each, with no '<',
// '&' or line break in the value. It reports whether the element is empty.
func (s *scanner) attrs() (empty, ok bool) {
	var seen []string
	for {
		spaced := s.pos < len(s.data) && isXMLSpace(s.data[s.pos])
		s.space()
		switch {
		case s.has(">"):
			s.pos++
			return false, true
		case s.has("/>"):
			s.pos += 2
			return true, true
		case !spaced:
			return false, false
		}
		name, ok := s.attrName()
		if !ok {
			return false, false
		}
		for _, n := range seen {
			if n == name {
				return false, false
			}
		}
		seen = append(seen, name)
		s.space()
		if !s.has("=") {
			return false, false
		}
		s.pos++
		s.space()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' && s.data[s.pos] != '\'' {
			return false, false
		}
		q := s.data[s.pos]
		end := bytes.IndexByte(s.data[s.pos+1:], q)
		if end < 0 || bytes.ContainsAny(s.data[s.pos+1:s.pos+1+end], "<&\r\n\t") || !allChars(s.data[s.pos+1:s.pos+1+end]) {
			return false, false
		}
		s.pos += end + 2
	}
}

// comment reads a comment that has no "--" or '<' inside it.
func (s *scanner) comment() bool {
	end := bytes.Index(s.data[s.pos+4:], []byte("-->"))
	if end < 0 {
		return false
	}
	body := s.data[s.pos+4 : s.pos+4+end]
	if bytes.IndexByte(body, '<') >= 0 || bytes.Contains(body, []byte("--")) || bytes.HasSuffix(body, []byte("-")) || !allChars(body) {
		return false
	}
	s.pos += 4 + end + 3
	return true
}

// xmlDecl reads an XML declaration at the start of the file: version 1.0,
// with an encoding of UTF-8 and standalone, if given, in that order.
func (s *scanner) xmlDecl() bool {
	end := bytes.Index(s.data, []byte("?>"))
	if end < 0 {
		return false
	}
	decl := string(s.data[:end])
	rest, ok := strings.CutPrefix(decl, `<?xml version="1.0"`)
	if !ok {
		return false
	}
	for _, p := range []string{` encoding="UTF-8"`, ` encoding="utf-8"`, ` standalone="yes"`, ` standalone="no"`} {
		if r, ok := strings.CutPrefix(rest, p); ok {
			rest = r
		}
	}
	if strings.TrimLeft(rest, " ") != "" {
		return false
	}
	s.pos = end + 2
	return true
}

// text returns raw text with its entity and character references
// replaced and its line breaks normalised to "\n", as encoding/xml gives
// it; ok is false for a reference it does not know, a character XML does
// not allow, or "]]>".
func (s *scanner) text(raw []byte) (text []byte, ok bool) {
	if plainText(raw) {
		return raw, true
	}
	if !allChars(raw) || bytes.Contains(raw, []byte("]]>")) {
		return nil, false
	}
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return raw, true
	}
	s.buf = s.buf[:0]
	for i := 0; i < len(raw); i++ {
		switch b := raw[i]; b {
		case '\r':
			s.buf = append(s.buf, '\n')
			if i+1 < len(raw) && raw[i+1] == '\n' {
				i++
			}
		case '&':
			semi := bytes.IndexByte(raw[i:], ';')
			if semi < 0 {
				return nil, false
			}
			r, ok := reference(string(raw[i+1 : i+semi]))
			if !ok {
				return nil, false
			}
			s.buf = utf8.AppendRune(s.buf, r)
			i += semi
		default:
			s.buf = append(s.buf, b)
		}
	}
	return s.buf, true
}

// plainText reports whether raw is short printable ASCII, tabs and line
// feeds with no '&' or ']', which text returns as it is: most of a CTF's
// text, a value or the indent between two tags, in one pass instead of
// text's four.
func plainText(raw []byte) bool {
	if len(raw) > 64 {
		return false
	}
	for _, b := range raw {
		if (b < 0x20 || b >= 0x7f || b == '&' || b == ']') && b != '\n' && b != '\t' {
			return false
		}
	}
	return true
}

// reference returns the character an entity or character reference names.
func reference(ref string) (rune, bool) {
	switch ref {
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "amp":
		return '&', true
	case "apos":
		return '\'', true
	case "quot":
		return '"', true
	}
	digits, base := "", 10
	if d, ok := strings.CutPrefix(ref, "#x"); ok {
		digits, base = d, 16
	} else if d, ok := strings.CutPrefix(ref, "#"); ok {
		digits = d
	}
	if digits == "" || len(digits) > 6 {
		return 0, false
	}
	var r rune
	for _, d := range digits {
		var v rune
		switch {
		case d >= '0' && d <= '9':
			v = d - '0'
		case base == 16 && d >= 'a' && d <= 'f':
			v = d - 'a' + 10
		case base == 16 && d >= 'A' && d <= 'F':
			v = d - 'A' + 10
		default:
			return 0, false
		}
		r = r*rune(base) + v
	}
	return r, xmlChar(r)
}

// allChars reports whether UTF-8 text holds only characters XML allows.
// Eight bytes of printable ASCII, most of a CTF, are checked at once.
func allChars(b []byte) bool {
	const high, space = 0x8080808080808080, 0x2020202020202020
	for len(b) > 0 {
		if len(b) >= 8 {
			// No byte has its high bit set, and none is below 0x20: a
			// byte below 0x20 borrows into its own high bit in w-space,
			// and a borrow only ever reaches bytes above such a byte.
			if w := binary.LittleEndian.Uint64(b); w&high == 0 && (w-space)&^w&high == 0 {
				b = b[8:]
				continue
			}
		}
		if b[0] < utf8.RuneSelf {
			if b[0] < 0x20 && !isXMLSpace(b[0]) {
				return false
			}
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if !xmlChar(r) {
			return false
		}
		b = b[n:]
	}
	return true
}

// xmlChar reports whether r is a character XML 1.0 allows.
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
