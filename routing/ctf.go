package routing

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DefaultCTFMaxSize is the default cap on the size of a CTF, CML or CMJ file.
const DefaultCTFMaxSize = 50 << 20

// Root element names.
const (
	RootCTF = "CTfile" // Common Transfer File
	RootATF = "ATfile" // Admissions Transfer File
)

// ErrCTFTooLarge is wrapped by the *CTFError for a file over its size cap.
var ErrCTFTooLarge = errors.New("CTF larger than its size limit")

// CTFOptions bounds and shapes ReadCTF. The zero value is ready to use.
//
// MaxText caps both the text of one element and any run of bytes without
// a '<', so that a single tag or text value cannot grow past it before
// ReadCTF sees it. Only a CDATA section or comment that holds '<' is
// bounded by MaxSize alone.
type CTFOptions struct {
	MaxSize    int64 // most bytes read; 0 means DefaultCTFMaxSize
	MaxDepth   int   // deepest element nesting; 0 means 64
	MaxText    int   // longest single text value, in bytes; 0 means 64 KiB
	Admissions bool  // accept the admissions root ATfile as well as CTfile; see Name.IsAdmissions
}

func (o CTFOptions) withDefaults() CTFOptions {
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultCTFMaxSize
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 64
	}
	if o.MaxText <= 0 {
		o.MaxText = 64 << 10
	}
	return o
}

// CTFInfo is what ReadCTF takes from a CTF: its header and its pupils.
// Values are as written in the file, untrimmed.
type CTFInfo struct {
	Root        string // CTfile or ATfile
	Version     string // Header/CTFversion, e.g. "25.0"; empty if absent
	SourceLEA   string
	SourceEstab string
	DestLEA     string
	DestEstab   string
	Pupils      []Pupil
	Warnings    []string // what was odd in the file's shape, never pupil data
}

// CTFError says why a file could not be read as a CTF. Its text is meant
// for the sender and never holds pupil data.
type CTFError struct {
	Reason string
	Err    error // the underlying error, if any
}

func (e *CTFError) Error() string { return e.Reason }
func (e *CTFError) Unwrap() error { return e.Err }

// ReadCTF reads a CTF (or CML, CMJ or ATF) as a stream of XML tokens, with
// memory bounded by opts: it reads at most opts.MaxSize bytes, refuses any
// DOCTYPE or entity declaration, and caps element depth and the length of
// any text value. It checks the root element and the file's shape; the
// content rules are ValidateCTF's. The error is a *CTFError.
//
// A file of up to a megabyte is read whole first, by a quicker scanner of
// the plain XML that MIS software writes; anything that scanner does not
// accept is read again with encoding/xml, which says what is wrong.
func ReadCTF(r io.Reader, opts CTFOptions) (*CTFInfo, error) {
	opts = opts.withDefaults()
	limit := min(scanMax, opts.MaxSize)
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, &CTFError{Reason: "the file could not be read", Err: err}
	}
	if int64(len(data)) <= limit {
		return readCTF(data, opts)
	}
	return decodeCTF(io.MultiReader(bytes.NewReader(data), r), opts)
}

// ReadCTFData is ReadCTF of a file already read into memory, as routing
// reads a small file once to hash and validate it.
func ReadCTFData(data []byte, opts CTFOptions) (*CTFInfo, error) {
	opts = opts.withDefaults()
	if int64(len(data)) <= min(scanMax, opts.MaxSize) {
		return readCTF(data, opts)
	}
	return decodeCTF(bytes.NewReader(data), opts)
}

// readCTF reads data, at most scanMax bytes, with the quick scanner, or
// with encoding/xml where the scanner does not take it.
func readCTF(data []byte, opts CTFOptions) (*CTFInfo, error) {
	c := newCTFReader(opts)
	if c.scan(data) {
		return c.info, nil
	}
	return decodeCTF(bytes.NewReader(data), opts)
}

func newCTFReader(opts CTFOptions) *ctfReader {
	return &ctfReader{opts: opts, info: &CTFInfo{}, warned: map[string]bool{}}
}

// decodeCTF is ReadCTF with encoding/xml, for any file.
func decodeCTF(r io.Reader, opts CTFOptions) (*CTFInfo, error) {
	c := newCTFReader(opts)
	d := xml.NewDecoder(&boundedReader{r: r, left: opts.MaxSize, maxRun: opts.MaxText})
	d.Strict = true
	d.CharsetReader = func(charset string, _ io.Reader) (io.Reader, error) {
		c.charset = charset
		return nil, errors.New("unsupported charset")
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, c.readError(err)
		}
		if err := c.token(tok); err != nil {
			return nil, err
		}
	}
	if c.info.Root == "" {
		return nil, &CTFError{Reason: "the file has no XML root element: it is not a CTF"}
	}
	return c.info, nil
}

// ctfReader holds ReadCTF's state between tokens.
type ctfReader struct {
	opts    CTFOptions
	info    *CTFInfo
	path    []string // local names of the open elements, root first
	text    []byte   // text of the innermost open element, if it is wanted
	textLen int      // length of that text, wanted or not
	pupil   Pupil    // the pupil being read, if inPupil
	inPupil bool
	warned  map[string]bool // duplicate fields already warned of
	charset string          // a charset the file declared that is not UTF-8
}

func (c *ctfReader) token(tok xml.Token) error {
	switch t := tok.(type) {
	case xml.StartElement:
		return c.start(t.Name.Local)
	case xml.EndElement:
		c.end()
	case xml.CharData:
		return c.chars(t)
	case xml.Directive:
		return directiveError(t)
	}
	return nil
}

// chars takes the text between two tags.
func (c *ctfReader) chars(t []byte) error {
	if len(c.path) == 0 {
		if len(bytes.TrimSpace(t)) > 0 {
			return &CTFError{Reason: "the file has text outside its root element: it is not well-formed XML"}
		}
		return nil
	}
	c.textLen += len(t)
	if c.textLen > c.opts.MaxText {
		return &CTFError{Reason: fmt.Sprintf("the text inside <%s> is longer than %s: this is not a CTF", c.path[len(c.path)-1], formatSize(int64(c.opts.MaxText)))}
	}
	if c.wanted() != "" {
		c.text = append(c.text, t...)
	}
	return nil
}

func (c *ctfReader) start(name string) error {
	switch {
	case len(c.path) == 0 && c.info.Root != "":
		return &CTFError{Reason: "the file has more than one root element: it is not well-formed XML"}
	case len(c.path) == 0:
		if name != RootCTF && !(c.opts.Admissions && name == RootATF) {
			want := "<" + RootCTF + ">"
			if c.opts.Admissions {
				want += " or <" + RootATF + ">"
			}
			return &CTFError{Reason: fmt.Sprintf("the root element is <%s>, not %s: this is not a Common Transfer File", name, want)}
		}
		c.info.Root = name
	case len(c.path) >= c.opts.MaxDepth:
		return &CTFError{Reason: fmt.Sprintf("elements are nested more than %d deep: this is not a CTF", c.opts.MaxDepth)}
	}
	c.path = append(c.path, name)
	c.text, c.textLen = c.text[:0], 0
	if c.atPupil() {
		c.pupil, c.inPupil = Pupil{}, true
	}
	return nil
}

func (c *ctfReader) end() {
	if field := c.wanted(); field != "" {
		c.store(field, string(c.text))
	}
	if c.atPupil() && c.inPupil {
		c.info.Pupils = append(c.info.Pupils, c.pupil)
		c.inPupil = false
	}
	c.path = c.path[:len(c.path)-1]
	c.text, c.textLen = c.text[:0], 0
}

// atPupil reports whether the innermost open element is a
// CTFpupilData/Pupil (ATFpupilData/Pupil in an admissions file).
func (c *ctfReader) atPupil() bool {
	p := c.path
	return len(p) == 3 && (p[1] == "CTFpupilData" || p[1] == "ATFpupilData") && p[2] == "Pupil"
}

// readError turns an error of the decoder into a *CTFError.
func (c *ctfReader) readError(err error) error {
	var syn *xml.SyntaxError
	switch {
	case errors.Is(err, errInputTooLarge):
		return &CTFError{Reason: fmt.Sprintf("the file is larger than %s, the most a CTF may be", formatSize(c.opts.MaxSize)), Err: ErrCTFTooLarge}
	case errors.Is(err, errTextRunTooLong):
		return &CTFError{Reason: fmt.Sprintf("the file has a text value longer than %s: this is not a CTF", formatSize(int64(c.opts.MaxText)))}
	case c.charset != "":
		return &CTFError{Reason: fmt.Sprintf("the file declares the character encoding %q: a CTF must be UTF-8; export it again from your MIS", c.charset)}
	case errors.As(err, &syn):
		return &CTFError{Reason: syntaxReason(syn), Err: err}
	}
	return &CTFError{Reason: "the file could not be read", Err: err}
}

// syntaxReason describes an XML syntax error. A message that may quote the
// file's text is replaced, so that no pupil data is repeated.
func syntaxReason(e *xml.SyntaxError) string {
	msg := e.Msg
	switch {
	case msg == "unexpected EOF":
		return fmt.Sprintf("the file ends in the middle of the XML (line %d): it may be incomplete; send it again", e.Line)
	case strings.Contains(msg, "entity"):
		msg = "an & that is not written as &amp;"
	case strings.Contains(msg, "illegal character"), strings.Contains(msg, "invalid UTF-8"):
		msg = "a character that is not allowed, or text that is not UTF-8"
	}
	return fmt.Sprintf("the file is not well-formed XML (line %d: %s): export it again from your MIS", e.Line, msg)
}

// directiveError refuses a <!...> declaration: a DTD or an entity.
func directiveError(d xml.Directive) error {
	s := strings.ToUpper(strings.TrimSpace(string(d)))
	what := "a markup declaration (<!...>)"
	switch {
	case strings.HasPrefix(s, "DOCTYPE"):
		what = "a DOCTYPE declaration (a DTD)"
	case strings.HasPrefix(s, "ENTITY"):
		what = "an entity declaration (<!ENTITY>)"
	}
	return &CTFError{Reason: "the file contains " + what + ", which a CTF may not have: export it again from your MIS"}
}

// formatSize writes n bytes as MiB or KiB where that is exact.
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
