package gias

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestParseLinks(t *testing.T) {
	f, err := os.Open("../testdata/gias/links_edubasealldata-newer.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := ParseLinks(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []Link{
		{Line: 2, URN: "109876", LinkURN: "140123", LinkType: "Successor"},
		{Line: 3, URN: "140123", LinkURN: "109876", LinkType: "Predecessor"},
		{Line: 4, URN: "109876", LinkURN: "703001", LinkType: "Successor - split school"},
		{Line: 5, URN: "100001", LinkURN: "150777", LinkType: "Successor - merged"},
		{Line: 6, URN: "150777", LinkURN: "100001", LinkType: "Predecessor - merged"},
		{Line: 7, URN: "100050", LinkURN: "150999", LinkType: "Successor - amalgamated"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	var succ []bool
	for _, l := range got {
		succ = append(succ, l.IsSuccessor())
	}
	if want := []bool{true, false, true, true, false, true}; !reflect.DeepEqual(succ, want) {
		t.Errorf("IsSuccessor = %v, want %v", succ, want)
	}
}

func TestLinkIsSuccessor(t *testing.T) {
	for typ, want := range map[string]bool{
		"Successor": true, "successor - amalgamated": true, "Successor - Split School": true,
		"Predecessor": false, "Other": false, "": false, "Succ": false,
	} {
		if got := (Link{LinkType: typ}).IsSuccessor(); got != want {
			t.Errorf("IsSuccessor(%q) = %v, want %v", typ, got, want)
		}
	}
}

func TestParseLinksMissingColumn(t *testing.T) {
	_, err := ParseLinks(strings.NewReader("URN,LinkName,LinkType\n1,A,Successor\n"))
	want := `links: missing column(s) "LinkURN" in the header row: give the GIAS links file (links_edubasealldata*.csv) with its header row`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}
