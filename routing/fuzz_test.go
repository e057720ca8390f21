package routing

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParseName checks that ParseName never panics, that every failure is
// a *NameError with a reason, and that every success is consistent: its
// fields are normalised and re-deriving them from the name gives the same.
func FuzzParseName(f *testing.F) {
	las := testLAs(f)
	for _, s := range []string{"8231234_CTF_8239999_001.XML", "823LLLL_CTF8231234_001.XML", "8231234_8239999_NOTES.ZIP"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n, err := ParseName(name, las)
		if err != nil {
			var ne *NameError
			if !errors.As(err, &ne) || ne.Name != name || ne.Reason == "" || n != (Name{}) {
				t.Fatalf("ParseName(%q) = %+v, %v", name, n, err)
			}
			return
		}
		if n.Original != name {
			t.Fatalf("Original = %q", n.Original)
		}
		for _, c := range []Code{n.Source, n.Dest} {
			if len(c.Value) != 7 || c.Value != strings.ToUpper(c.Value) || !strings.Contains(strings.ToUpper(name), c.Value) {
				t.Fatalf("%q: code %q is not 7 upper-case characters of the name", name, c.Value)
			}
		}
		if !n.Source.Kind.HasMailbox() || !strings.HasPrefix(strings.ToUpper(name), n.Source.Value) {
			t.Fatalf("%q: source %s (%s) must be a mailbox and start the name", name, n.Source, n.Source.Kind)
		}
		if !strings.HasSuffix(strings.ToUpper(name), "."+n.Ext) {
			t.Fatalf("%q: extension %q", name, n.Ext)
		}
		switch {
		case n.Type.IsXML():
			if n.Ext != "XML" || len(n.Seq) != 3 || !allDigits(n.Seq) || n.Text != "" {
				t.Fatalf("%q: XML file with ext %q, seq %q, text %q", name, n.Ext, n.Seq, n.Text)
			}
		case n.Type == TypeGeneric:
			if n.Ext != "ZIP" || n.Seq != "" || len(n.Text) < 1 || len(n.Text) > 15 || n.Text != strings.ToUpper(n.Text) || !n.Dest.Kind.HasMailbox() {
				t.Fatalf("%q: generic file with ext %q, seq %q, text %q, dest %s", name, n.Ext, n.Seq, n.Text, n.Dest)
			}
		default:
			t.Fatalf("%q: type %q", name, n.Type)
		}
		// The same name in another case, and the canonical name, give the
		// same fields.
		for _, again := range []string{strings.ToUpper(name), strings.ToLower(name), n.Canonical()} {
			m, err := ParseName(again, las)
			if err != nil {
				t.Fatalf("%q parses, but %q does not: %v", name, again, err)
			}
			m.Original = n.Original
			if m != n {
				t.Fatalf("%q gives %+v, but %q gives %+v", name, n, again, m)
			}
		}
	})
}

// FuzzReadCTF checks that ReadCTF never panics, that its memory is bounded
// (it refuses input over MaxSize and keeps no text over MaxText), and that
// ValidateCTF copes with whatever ReadCTF returns; and that ReadCTFData
// returns what ReadCTF does.
func FuzzReadCTF(f *testing.F) {
	las := testLAs(f)
	f.Add([]byte(minimalCTF("<Header/>")))
	names := []Name{}
	for _, s := range []string{"8231234_CTF_8239999_001.XML", "823LLLL_CTF_XXXXXXX_001.XML", "8231234_CML_823PLAS_001.XML"} {
		n, err := ParseName(s, las)
		if err != nil {
			f.Fatal(err)
		}
		names = append(names, n)
	}
	opts := CTFOptions{MaxSize: 64 << 10, MaxText: 4 << 10, MaxDepth: 32, Admissions: true}
	now := time.Date(2025, 7, 14, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := ReadCTF(bytes.NewReader(data), opts)
		// ReadCTFData, which routing uses for small files, answers the same.
		dinfo, derr := ReadCTFData(data, opts)
		if fmt.Sprint(err) != fmt.Sprint(derr) || !reflect.DeepEqual(info, dinfo) {
			t.Fatalf("ReadCTF: %+v, %v\nReadCTFData: %+v, %v", info, err, dinfo, derr)
		}
		if err != nil {
			var ce *CTFError
			if !errors.As(err, &ce) || ce.Reason == "" {
				t.Fatalf("error %T %v is not a *CTFError with a reason", err, err)
			}
			return
		}
		if int64(len(data)) > opts.MaxSize {
			t.Fatalf("accepted %d bytes, over MaxSize %d", len(data), opts.MaxSize)
		}
		if info.Root != RootCTF && info.Root != RootATF {
			t.Fatalf("root %q", info.Root)
		}
		if len(info.Pupils) > len(data)/len("<Pupil/>") {
			t.Fatalf("%d pupils from %d bytes", len(info.Pupils), len(data))
		}
		for _, s := range []string{info.Version, info.SourceLEA, info.SourceEstab, info.DestLEA, info.DestEstab} {
			if len(s) > opts.MaxText {
				t.Fatalf("kept a header value of %d bytes", len(s))
			}
		}
		for _, p := range info.Pupils {
			for _, s := range []string{p.UPN, p.FormerUPN, p.Surname, p.FormerSurname, p.Forename, p.MiddleNames, p.DOB, p.Gender, p.Sex, p.Postcode, p.Town} {
				if len(s) > opts.MaxText {
					t.Fatalf("kept a pupil value of %d bytes", len(s))
				}
			}
		}
		for _, n := range names {
			v := ValidateCTF(info, n, n.Source, now)
			for _, e := range v.Errors {
				if e == nil || e.Error() == "" {
					t.Fatal("empty error")
				}
			}
		}
	})
}

// FuzzParseMessage checks that any uploaded message either parses into a
// sendable draft or is refused with reasons, and never both.
func FuzzParseMessage(f *testing.F) {
	for _, s := range []string{
		"To: 8231234, 823LLLL\nSubject: Missing CTF\n\nPlease send it.\n",
		"To: my-schools\r\nSubject: s\r\nTemplate: request\r\n\r\n",
		"To: XXXXXXX\nCc: x\n\n",
		"\xef\xbb\xbfSubject: only\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, problems := ParseMessage(b)
		if problems != nil {
			if !reflect.DeepEqual(d, Draft{}) {
				t.Fatalf("refused message returned a draft: %+v", d)
			}
			for _, p := range problems {
				if p == "" {
					t.Fatal("empty problem")
				}
			}
			return
		}
		if len(d.To) == 0 || d.Subject == "" || strings.TrimSpace(d.Body) == "" && d.Template == "" {
			t.Fatalf("accepted an incomplete message: %+v", d)
		}
		for _, r := range d.To {
			if r == "" || strings.ContainsAny(r, ",; \t\n") {
				t.Fatalf("bad recipient %q", r)
			}
		}
		if strings.Contains(d.Body, "\r\n") {
			t.Fatalf("body keeps CRLF: %q", d.Body)
		}
	})
}

// FuzzParseGroup checks group files: codes only, or reasons.
func FuzzParseGroup(f *testing.F) {
	f.Add([]byte("# Bedford\n8231234, 8232345\n823llll\n"))
	f.Add([]byte("ampthill\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		codes, problems := ParseGroup(b)
		if (codes == nil) == (problems == nil) {
			t.Fatalf("ParseGroup = %q, %q", codes, problems)
		}
		for _, c := range codes {
			if !looksLikeCode(c) {
				t.Fatalf("accepted %q", c)
			}
		}
	})
}
