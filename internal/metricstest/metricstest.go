// Package metricstest reads a Prometheus text exposition for tests.
package metricstest

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// Get returns the status code and body of GET url.
func Get(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// Sample returns the value of the metric line that begins with series
// (name and labels exactly as exposed), or "" if there is none.
func Sample(body, series string) string {
	for l := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			return v
		}
	}
	return ""
}
