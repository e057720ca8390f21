package routing

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits of secure messages and their groups and templates.
const (
	MessageMaxSize    = 256 << 10 // a message, a template or a group file
	MessageMaxSubject = 200       // characters
	MessageMaxTo      = 500       // recipients, groups expanded
)

// Draft is a secure message as uploaded into /messages/outbox/: header
// lines, a blank line, then the text (SPEC section 8).
type Draft struct {
	To       []string // codes, upper-cased, and group names, as written, in order
	Subject  string
	Template string // a template's name, or ""
	Body     string // CRLFs made LFs
}

// ParseMessage parses an uploaded message. It returns every problem it
// finds, each saying what is wrong and what to write instead; a message
// with problems must not be sent.
func ParseMessage(b []byte) (Draft, []string) {
	text, problem := messageText(b, "the message")
	if problem != "" {
		return Draft{}, []string{problem}
	}
	var d Draft
	var problems []string
	seen := map[string]int{}
	lines := strings.Split(text, "\n")
	body := len(lines)
	for i, line := range lines {
		if strings.TrimSpace(line) == "" {
			body = i + 1
			break
		}
		key, value, ok := strings.Cut(line, ":")
		key = strings.TrimSpace(key)
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			if i == 0 {
				problems = append(problems, "the message must start with header lines (To:, Subject: and optionally Template:), then a blank line, then its text")
			} else {
				problems = append(problems, fmt.Sprintf("line %d is not a header line; put a blank line between the headers and the text", i+1))
			}
			continue
		}
		canon := strings.ToLower(key)
		if first, dup := seen[canon]; dup {
			problems = append(problems, fmt.Sprintf("line %d: %s: is given twice (first on line %d); give it once", i+1, key, first))
			continue
		}
		seen[canon] = i + 1
		value = strings.TrimSpace(value)
		switch canon {
		case "to":
			to, ps := parseRecipients(value, i+1)
			d.To = to
			problems = append(problems, ps...)
		case "subject":
			d.Subject = value
			if n := utf8.RuneCountInString(value); n > MessageMaxSubject {
				problems = append(problems, fmt.Sprintf("line %d: the subject is %d characters long; keep it to %d", i+1, n, MessageMaxSubject))
			}
		case "template":
			d.Template = strings.TrimSuffix(value, ".txt")
			if err := CheckMessageFileName(d.Template + ".txt"); err != nil {
				problems = append(problems, fmt.Sprintf("line %d: Template: %q is not a template name: %v", i+1, value, err))
			}
		default:
			problems = append(problems, fmt.Sprintf("line %d: unknown header %q; use To:, Subject: and Template:", i+1, key+":"))
		}
	}
	if body < len(lines) {
		d.Body = strings.TrimRight(strings.Join(lines[body:], "\n"), "\n")
	}
	if _, ok := seen["to"]; !ok {
		problems = append(problems, "there is no To: line: give the recipients' codes (e.g. 8231234 or 823LLLL) or a group name, separated by commas")
	} else if len(d.To) == 0 && len(problems) == 0 {
		problems = append(problems, "the To: line is empty: give the recipients' codes or a group name")
	}
	if _, ok := seen["subject"]; !ok || d.Subject == "" {
		problems = append(problems, "there is no Subject: line, or it is empty: give the message a subject")
	}
	if strings.TrimSpace(d.Body) == "" && d.Template == "" {
		problems = append(problems, "the message has no text: write it after a blank line below the headers, or name a Template:")
	}
	if problems != nil {
		return Draft{}, problems
	}
	return d, nil
}

// parseRecipients splits a To: value into codes and group names.
func parseRecipients(value string, line int) ([]string, []string) {
	var to, problems []string
	seen := map[string]bool{}
	for _, tok := range splitList(value) {
		r, err := recipient(tok)
		if err != nil {
			problems = append(problems, fmt.Sprintf("line %d: To: %v", line, err))
			continue
		}
		if !seen[strings.ToUpper(r)] {
			seen[strings.ToUpper(r)] = true
			to = append(to, r)
		}
	}
	if len(to) > MessageMaxTo {
		problems = append(problems, fmt.Sprintf("line %d: To: names %d recipients; send to at most %d at once", line, len(to), MessageMaxTo))
	}
	return to, problems
}

// recipient checks one entry of a To: line: a mailbox code, upper-cased,
// or a group name.
func recipient(tok string) (string, error) {
	up := strings.ToUpper(tok)
	switch {
	case up == CodeLostUnknown || up == CodeLostLeft:
		return "", fmt.Errorf("%s is the Lost Pupil Database, which cannot receive messages", up)
	case looksLikeCode(up):
		return up, nil
	case allDigits(tok):
		return "", fmt.Errorf("%q is not a code: codes are 7 characters, e.g. 8231234 or 823LLLL", tok)
	case CheckMessageFileName(strings.TrimSuffix(tok, ".txt")+".txt") == nil:
		return strings.TrimSuffix(tok, ".txt"), nil
	}
	return "", fmt.Errorf("%q is neither a code (7 characters, e.g. 8231234 or 823LLLL) nor a group name", tok)
}

// IsMailboxCode reports whether a recipient of a Draft is a mailbox code
// rather than a group name.
func IsMailboxCode(s string) bool { return looksLikeCode(s) }

// looksLikeCode reports whether s has the shape of a mailbox code.
func looksLikeCode(s string) bool {
	return len(s) == 7 && allDigits(s[:3]) && kindOfSuffix(s[3:]) != ""
}

// ParseGroup parses a group file of /messages/groups/: mailbox codes
// separated by commas, semicolons, spaces or new lines; # starts a
// comment. It returns the codes, upper-cased and without repeats, or
// every problem.
func ParseGroup(b []byte) ([]string, []string) {
	text, problem := messageText(b, "the group file")
	if problem != "" {
		return nil, []string{problem}
	}
	var codes, problems []string
	seen := map[string]bool{}
	for i, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		for _, tok := range splitList(line) {
			up := strings.ToUpper(tok)
			if !looksLikeCode(up) {
				problems = append(problems, fmt.Sprintf("line %d: %q is not a code (7 characters, e.g. 8231234 or 823LLLL); a group lists codes only", i+1, tok))
				continue
			}
			if !seen[up] {
				seen[up] = true
				codes = append(codes, up)
			}
		}
	}
	switch {
	case problems != nil:
		return nil, problems
	case len(codes) == 0:
		return nil, []string{"the group lists no codes: write the members' codes, separated by commas or on lines of their own"}
	case len(codes) > MessageMaxTo:
		return nil, []string{fmt.Sprintf("the group lists %d codes; a group may have at most %d", len(codes), MessageMaxTo)}
	}
	return codes, nil
}

// ParseTemplate checks a template file of /messages/templates/ and
// returns its text.
func ParseTemplate(b []byte) (string, []string) {
	text, problem := messageText(b, "the template")
	if problem != "" {
		return "", []string{problem}
	}
	text = strings.TrimRight(text, "\n")
	if strings.TrimSpace(text) == "" {
		return "", []string{"the template is empty: write the text it should start messages with"}
	}
	return text, nil
}

// CheckMessageFileName checks the name of a group or template file:
// NAME.txt, where NAME is letters, digits, hyphens and underscores.
func CheckMessageFileName(name string) error {
	base, ok := strings.CutSuffix(name, ".txt")
	switch {
	case !ok:
		return fmt.Errorf("%s: the name must end in .txt, e.g. my-schools.txt", name)
	case base == "" || len(base) > 40:
		return fmt.Errorf("%s: the name before .txt must be 1 to 40 characters", name)
	}
	for i, r := range base {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (r == '-' || r == '_') && i > 0
		if !ok {
			return fmt.Errorf("%s: use only letters, digits, hyphens and underscores before .txt, starting with a letter or digit", name)
		}
	}
	return nil
}

// messageText checks that b is UTF-8 text of a sensible size and returns
// it without a byte-order mark, with LF line ends.
func messageText(b []byte, what string) (string, string) {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	switch {
	case len(b) > MessageMaxSize:
		return "", fmt.Sprintf("%s is %d bytes; the limit is %d", what, len(b), MessageMaxSize)
	case !utf8.Valid(b):
		return "", what + " is not UTF-8 text: save it as UTF-8 (in Notepad, Save As with Encoding UTF-8) and send it again"
	case bytes.IndexByte(b, 0) >= 0:
		return "", what + " holds NUL bytes: it must be plain text"
	}
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n"), ""
}

// splitList splits a list written with commas, semicolons or white space.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t'
	})
}
