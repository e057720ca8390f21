package routing

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/s2sd/s2sd/internal/ctftest"
)

// scanPlain are files the quick scanner must read itself: plain XML as
// MIS software writes it.
func scanPlain() []string {
	one := ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: "823", DestEstab: "2345", Pupils: 2, Pad: 10})
	return []string{
		one,
		strings.ReplaceAll(one, "\n", "\r\n"),
		strings.Replace(one, "<CTfile>", `<CTfile xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation='CTF.xsd'>`, 1),
		strings.Replace(one, "Testpupil", "O&apos;Brien &amp; Sons &#233;&#xE9; &lt;x&gt;", 1),
		strings.Replace(one, `<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version="1.0" encoding="utf-8" standalone="yes" ?>`, 1),
		strings.Replace(one, "</Header>", "</Header >", 1),
		minimalCTF("<Header/>"),
		minimalCTF(""),
	}
}

// scanOdd are files for the comparison with encoding/xml that the scanner
// may leave to it or read itself.
func scanOdd() []string {
	one := scanPlain()[0]
	return []string{
		strings.Replace(one, `<?xml version="1.0" encoding="UTF-8"?>`, "\ufeff"+`<?xml version="1.0" encoding="UTF-8"?>`, 1),
		strings.Replace(one, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1),
		strings.Replace(one, "<Surname>Testpupil</Surname>", "<Surname>Test<!-- a -- b -->pupil</Surname><Surname/>", 1),
		strings.Replace(one, "<Surname>Testpupil</Surname>", "<Surname><![CDATA[Test]]>pupil</Surname>", 1),
		strings.Replace(one, "<Surname>Testpupil</Surname>", "<Surname>Test<!-- a < b -->pupil</Surname>", 1),
		strings.Replace(one, "<CTfile>", "<!DOCTYPE CTfile [<!ENTITY e 'x'>]><CTfile>", 1),
		strings.Replace(one, "<CTfile>", `<CTfile xmlns="" xmlns:a="" a:b="x>y" c=''>`, 1),
		strings.Replace(one, "<Surname>Testpupil</Surname>", "<Surname>Test<!--->x-->pu<!---->pil</Surname>", 1),
		strings.Replace(one, "</Header>", "</header>", 1),
		strings.Replace(one, "<Header>", "<ns:Header xmlns:ns='u'>", 1),
		strings.Replace(one, "Testpupil", "Test&nbsp;pupil", 1),
		strings.Replace(one, "Testpupil", "Test&#x10FFFF;&#0000065;&#xD800;&#0;pupil", 1),
		strings.Replace(one, "Testpupil", "Test\x01pupil", 1),
		strings.Replace(one, "Testpupil", "Test\xffpupil", 1),
		strings.Replace(one, "Testpupil", "Test\uFFFEpupil", 1),
		strings.Replace(one, "<DOB>", "<DOB a=\"1\" a=\"2\">", 1),
		strings.Replace(one, "<DOB>", "<DOB a=1>", 1),
		strings.Replace(one, "<DOB>", "<DOB/ >", 1),
		one + "<CTfile/>",
		one + "trailing text",
		"<CTfile>",
		"",
		"<ATfile><Header><ATFversion>1</ATFversion></Header></ATfile>",
	}
}

// FuzzScanCTF checks the quick scanner against encoding/xml: whatever it
// accepts, encoding/xml accepts with the same result; and ReadCTF, which
// falls back to encoding/xml, gives exactly what encoding/xml alone gives,
// result or error.
func FuzzScanCTF(f *testing.F) {
	for _, s := range append(scanPlain(), scanOdd()...) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []CTFOptions{{}, {MaxText: 40, MaxDepth: 5}, {Admissions: true}} {
			opts = opts.withDefaults()
			want, wantErr := decodeCTF(bytes.NewReader(data), opts)
			if c := newCTFReader(opts); c.scan(data) {
				if wantErr != nil {
					t.Fatalf("scan accepted a file encoding/xml refuses (%v)", wantErr)
				}
				if !reflect.DeepEqual(c.info, want) {
					t.Fatalf("scan read\n%s\nencoding/xml read\n%s", dumpCTF(c.info), dumpCTF(want))
				}
			}
			got, err := ReadCTF(bytes.NewReader(data), opts)
			if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(got, want) {
				t.Fatalf("ReadCTF = %s, %v; encoding/xml alone = %s, %v", dumpCTF(got), err, dumpCTF(want), wantErr)
			}
		}
	})
}

// The scanner reads the files MIS software writes itself, and leaves
// DTDs, CDATA, other encodings and the like to encoding/xml.
func TestScanCTF(t *testing.T) {
	for i, s := range scanPlain() {
		if !newCTFReader(CTFOptions{}.withDefaults()).scan([]byte(s)) {
			t.Errorf("plain file %d: not scanned", i)
		}
	}
	for i, s := range scanOdd()[:6] {
		if newCTFReader(CTFOptions{}.withDefaults()).scan([]byte(s)) {
			t.Errorf("odd file %d: scanned", i)
		}
	}
	c := newCTFReader(CTFOptions{}.withDefaults())
	if !c.scan([]byte(scanPlain()[3])) || c.info.Pupils[0].Surname != "O'Brien & Sons éé <x>" {
		t.Errorf("references: surname %q", c.info.Pupils[0].Surname)
	}
}

// dumpCTF writes what ReadCTF read, pupils' fields included, for a
// failing test's message (a Pupil formats as a placeholder).
func dumpCTF(info *CTFInfo) string {
	if info == nil {
		return "nil"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q %q %q %q %q warnings %q\n", info.Root, info.Version, info.SourceLEA, info.SourceEstab, info.DestLEA, info.DestEstab, info.Warnings)
	for _, p := range info.Pupils {
		v := reflect.ValueOf(p)
		for i := range v.NumField() {
			fmt.Fprintf(&b, "%s=%q ", v.Type().Field(i).Name, v.Field(i).String())
		}
		b.WriteString("\n")
	}
	return b.String()
}

// allCharsSlow is allChars one character at a time, as it was before its
// eight-byte check: the reference for TestAllChars and FuzzAllChars.
func allCharsSlow(b []byte) bool {
	for len(b) > 0 {
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

// Every byte value at every offset of a word, between printable ASCII
// and after it, gets allChars's answer right.
func TestAllChars(t *testing.T) {
	for v := range 256 {
		for at := range 24 {
			for _, fill := range []byte{'a', 0x7f, ' '} {
				b := bytes.Repeat([]byte{fill}, 24)
				b[at] = byte(v)
				for _, n := range []int{at + 1, 24} {
					if got, want := allChars(b[:n]), allCharsSlow(b[:n]); got != want {
						t.Fatalf("allChars(%q) = %v, want %v", b[:n], got, want)
					}
				}
			}
		}
	}
	for _, s := range []string{"", "plain text of a CTF, long enough", "tab\there", "é and ü in names", "\uFFFE", "\U0001F600 emoji", "a\x00b", "\xff\xfe", "12345678\x1f", "1234567\xc3\xa9"} {
		if got, want := allChars([]byte(s)), allCharsSlow([]byte(s)); got != want {
			t.Errorf("allChars(%q) = %v, want %v", s, got, want)
		}
	}
}

func FuzzAllChars(f *testing.F) {
	for _, s := range []string{"", "plain text, more than eight bytes", "a\tb\nc\rd", "é\U0001F600", "\x00\x1f\x7f\x80", "\xed\xa0\x80"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := allChars(b), allCharsSlow(b); got != want {
			t.Fatalf("allChars(%q) = %v, want %v", b, got, want)
		}
	})
}
