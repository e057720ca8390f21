package routing

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

// minimalCTF wraps body in a CTfile root.
func minimalCTF(body string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<CTfile>" + body + "</CTfile>\n"
}

func TestReadCTFBounds(t *testing.T) {
	deep := strings.Repeat("<a>", 64) + strings.Repeat("</a>", 64) // 65 with the root
	tests := []struct {
		name string
		doc  string
		opts CTFOptions
		want string
	}{
		{"empty", "", CTFOptions{}, "the file has no XML root element: it is not a CTF"},
		{"only a declaration", `<?xml version="1.0"?>` + "\n", CTFOptions{}, "the file has no XML root element: it is not a CTF"},
		{"too deep", minimalCTF(deep), CTFOptions{},
			"elements are nested more than 64 deep: this is not a CTF"},
		{"too deep for a small cap", minimalCTF("<a><b></b></a>"), CTFOptions{MaxDepth: 2},
			"elements are nested more than 2 deep: this is not a CTF"},
		{"long text", minimalCTF("<Header><DocumentName>" + strings.Repeat("x", 2000) + "</DocumentName></Header>"),
			CTFOptions{MaxText: 1024}, "the file has a text value longer than 1 KiB: this is not a CTF"},
		{"long text of entities", minimalCTF("<Header><DocumentName>" + strings.Repeat("&amp;<!---->", 200) + "</DocumentName></Header>"),
			CTFOptions{MaxText: 100}, "the text inside <DocumentName> is longer than 100 bytes: this is not a CTF"},
		{"too large", minimalCTF(strings.Repeat(" ", 600)), CTFOptions{MaxSize: 512},
			"the file is larger than 512 bytes, the most a CTF may be"},
		{"two roots", minimalCTF("") + "<CTfile></CTfile>", CTFOptions{},
			"the file has more than one root element: it is not well-formed XML"},
		{"text after the root", minimalCTF("") + "junk", CTFOptions{},
			"the file has text outside its root element: it is not well-formed XML"},
		{"entity declaration", `<!ENTITY x "y">` + minimalCTF(""), CTFOptions{},
			"the file contains an entity declaration (<!ENTITY>), which a CTF may not have: export it again from your MIS"},
		{"other declaration", `<!ELEMENT CTfile ANY>` + minimalCTF(""), CTFOptions{},
			"the file contains a markup declaration (<!...>), which a CTF may not have: export it again from your MIS"},
		{"lower-case doctype", `<!doctype CTfile>` + minimalCTF(""), CTFOptions{},
			"the file contains a DOCTYPE declaration (a DTD), which a CTF may not have: export it again from your MIS"},
		{"undeclared entity", minimalCTF("<Header>&lol9;</Header>"), CTFOptions{},
			"the file is not well-formed XML (line 2: an & that is not written as &amp;): export it again from your MIS"},
		{"control character", minimalCTF("<Header>\x01</Header>"), CTFOptions{},
			"the file is not well-formed XML (line 2: a character that is not allowed, or text that is not UTF-8): export it again from your MIS"},
		{"root ATfile needs Admissions", "<ATfile/>", CTFOptions{},
			"the root element is <ATfile>, not <CTfile>: this is not a Common Transfer File"},
		{"wrong root for admissions", "<Pupil/>", CTFOptions{Admissions: true},
			"the root element is <Pupil>, not <CTfile> or <ATfile>: this is not a Common Transfer File"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := ReadCTF(strings.NewReader(tt.doc), tt.opts)
			var ce *CTFError
			if !errors.As(err, &ce) || err.Error() != tt.want {
				t.Fatalf("ReadCTF = %v, %v\nwant error %s", info, err, tt.want)
			}
		})
	}
}

func TestReadCTFSizeLimit(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "testdata", "ctf", "valid_sex_v25.xml"))
	if err != nil {
		t.Fatal(err)
	}
	size := int64(len(raw))
	// Exactly at the limit is fine, one byte over is not, read in any chunks.
	if _, err := ReadCTF(iotest.OneByteReader(strings.NewReader(string(raw))), CTFOptions{MaxSize: size}); err != nil {
		t.Errorf("a file of exactly MaxSize: %v", err)
	}
	_, err = ReadCTF(iotest.HalfReader(strings.NewReader(string(raw))), CTFOptions{MaxSize: size - 1})
	want := fmt.Sprintf("the file is larger than %d bytes, the most a CTF may be", size-1)
	if !errors.Is(err, ErrCTFTooLarge) || err.Error() != want {
		t.Errorf("one byte over MaxSize: %v, want %s wrapping ErrCTFTooLarge", err, want)
	}
	_, err = ReadCTF(strings.NewReader(string(raw)), CTFOptions{MaxSize: 256})
	if !errors.Is(err, ErrCTFTooLarge) {
		t.Errorf("MaxSize 256: %v, want ErrCTFTooLarge", err)
	}
	if got := (CTFOptions{}).withDefaults().MaxSize; got != 50<<20 {
		t.Errorf("default MaxSize = %d, want 50 MiB", got)
	}
}

func TestReadCTFReadError(t *testing.T) {
	broken := errors.New("disk on fire")
	_, err := ReadCTF(iotest.ErrReader(broken), CTFOptions{})
	if !errors.Is(err, broken) || err.Error() != "the file could not be read" {
		t.Errorf("ReadCTF = %v, want %q wrapping the reader's error", err, "the file could not be read")
	}
}

func TestPupilIsRedacted(t *testing.T) {
	p := Pupil{UPN: "F823123414001", Surname: "Quillfeather", DOB: "2014-05-17"}
	info := &CTFInfo{Pupils: []Pupil{p}}
	for _, s := range []string{
		fmt.Sprint(p), fmt.Sprintf("%v %+v %#v %s %q %x", p, p, p, p, p, p), fmt.Sprintf("%+v", info),
		fmt.Sprintf("%#v", info), p.String(), p.GoString(),
	} {
		if strings.Contains(s, "Quillfeather") || strings.Contains(s, "F823") || strings.Contains(s, "2014") {
			t.Errorf("formatted pupil shows its data: %s", s)
		}
		if !strings.Contains(s, "Pupil{redacted}") {
			t.Errorf("formatted pupil %q lacks the placeholder", s)
		}
	}
}
