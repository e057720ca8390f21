package gias

import (
	"bytes"
	"os"
	"testing"
	"unicode/utf8"
)

func addFixtures(f *testing.F, paths ...string) {
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func FuzzParseEstablishments(f *testing.F) {
	addFixtures(f, "../testdata/gias/edubasealldata.csv", "../testdata/gias/edubasealldata-newer.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		ests, err := ParseEstablishments(bytes.NewReader(data))
		if err != nil {
			if ests != nil {
				t.Fatalf("rows returned with error %v", err)
			}
			return
		}
		line := 1
		for _, e := range ests {
			if e.Line <= line {
				t.Fatalf("line %d after line %d", e.Line, line)
			}
			line = e.Line
			for _, s := range []string{e.URN, e.LA, e.Number, e.Name, e.Status, e.Town, e.Postcode} {
				if !utf8.ValidString(s) {
					t.Fatalf("invalid UTF-8 in %+v", e)
				}
			}
			code, err := e.Code()
			if err != nil {
				if code != "" {
					t.Fatalf("code %q with error %v", code, err)
				}
				continue
			}
			if len(code) != 7 || !allDigits(code) || code[:3] != e.LA {
				t.Fatalf("bad code %q for %+v", code, e)
			}
			if closed, err := e.Closed(); err != nil && closed {
				t.Fatalf("closed with error %v", err)
			}
		}
	})
}

func FuzzParseLinks(f *testing.F) {
	addFixtures(f, "../testdata/gias/links_edubasealldata.csv", "../testdata/gias/links_edubasealldata-newer.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		links, err := ParseLinks(bytes.NewReader(data))
		if err != nil {
			if links != nil {
				t.Fatalf("rows returned with error %v", err)
			}
			return
		}
		line := 1
		for _, l := range links {
			if l.Line <= line {
				t.Fatalf("line %d after line %d", l.Line, line)
			}
			line = l.Line
			if !utf8.ValidString(l.URN) || !utf8.ValidString(l.LinkURN) || !utf8.ValidString(l.LinkType) {
				t.Fatalf("invalid UTF-8 in %+v", l)
			}
			l.IsSuccessor()
		}
	})
}
