package routing

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMessage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		want     Draft
		problems []string
	}{
		{
			name: "codes and a group, CRLF, BOM",
			in:   "\xef\xbb\xbfTo: 8231234, 823llll; my-schools.txt 8231234\r\nSubject:  Missing CTF \r\n\r\nPlease send it.\r\nThanks\r\n",
			want: Draft{To: []string{"8231234", "823LLLL", "my-schools"}, Subject: "Missing CTF", Body: "Please send it.\nThanks"},
		},
		{
			name: "template without text",
			in:   "subject: Request\nTEMPLATE: request-ctf.txt\nto: 823PLAS\n",
			want: Draft{To: []string{"823PLAS"}, Subject: "Request", Template: "request-ctf"},
		},
		{
			name: "every problem at once",
			in:   "To: 82312, XXXXXXX, a.b\nCc: 8231234\nSubject: a\nTo: 8232345\n\n",
			problems: []string{
				`line 1: To: "82312" is not a code: codes are 7 characters, e.g. 8231234 or 823LLLL`,
				"line 1: To: XXXXXXX is the Lost Pupil Database, which cannot receive messages",
				`line 1: To: "a.b" is neither a code (7 characters, e.g. 8231234 or 823LLLL) nor a group name`,
				`line 2: unknown header "Cc:"; use To:, Subject: and Template:`,
				"line 4: To: is given twice (first on line 1); give it once",
				"the message has no text: write it after a blank line below the headers, or name a Template:",
			},
		},
		{
			name: "no headers",
			in:   "Hello,\nplease send the CTF.\n",
			problems: []string{
				"the message must start with header lines (To:, Subject: and optionally Template:), then a blank line, then its text",
				"line 2 is not a header line; put a blank line between the headers and the text",
				"there is no To: line: give the recipients' codes (e.g. 8231234 or 823LLLL) or a group name, separated by commas",
				"there is no Subject: line, or it is empty: give the message a subject",
				"the message has no text: write it after a blank line below the headers, or name a Template:",
			},
		},
		{
			name:     "not UTF-8",
			in:       "To: 8231234\nSubject: caf\xe9\n\nx",
			problems: []string{"the message is not UTF-8 text: save it as UTF-8 (in Notepad, Save As with Encoding UTF-8) and send it again"},
		},
		{
			name:     "bad template name",
			in:       "To: 8231234\nSubject: s\nTemplate: ../x\n\nx",
			problems: []string{`line 3: Template: "../x" is not a template name: ../x.txt: use only letters, digits, hyphens and underscores before .txt, starting with a letter or digit`},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, problems := ParseMessage([]byte(tc.in))
			if !reflect.DeepEqual(problems, tc.problems) {
				t.Fatalf("problems:\n got %q\nwant %q", problems, tc.problems)
			}
			if !reflect.DeepEqual(d, tc.want) {
				t.Fatalf("draft = %+v, want %+v", d, tc.want)
			}
		})
	}
}

func TestParseGroup(t *testing.T) {
	codes, problems := ParseGroup([]byte("# Bedford schools\n8231234, 8232345\n823llll # the LA\n8231234\n"))
	if problems != nil || !reflect.DeepEqual(codes, []string{"8231234", "8232345", "823LLLL"}) {
		t.Fatalf("ParseGroup = %q, %q", codes, problems)
	}
	_, problems = ParseGroup([]byte("8231234\nampthill\n"))
	want := []string{`line 2: "ampthill" is not a code (7 characters, e.g. 8231234 or 823LLLL); a group lists codes only`}
	if !reflect.DeepEqual(problems, want) {
		t.Fatalf("problems = %q, want %q", problems, want)
	}
	if _, problems = ParseGroup([]byte("# nobody\n")); len(problems) != 1 || !strings.Contains(problems[0], "lists no codes") {
		t.Fatalf("empty group: %q", problems)
	}
}

func TestCheckMessageFileName(t *testing.T) {
	for name, ok := range map[string]bool{
		"my-schools.txt": true, "A_1.txt": true, "x.TXT": false, ".txt": false, "-a.txt": false,
		"a b.txt": false, "a/b.txt": false, strings.Repeat("a", 41) + ".txt": false, strings.Repeat("a", 40) + ".txt": true,
	} {
		if err := CheckMessageFileName(name); (err == nil) != ok {
			t.Errorf("CheckMessageFileName(%q) = %v", name, err)
		}
	}
}
