package sftpd

import (
	"sync"
	"time"
)

// searchTTL is how long a session reuses a search's results. A client
// lists, stats and reads one search folder in quick succession; the
// search runs, and is audited, once for all of them.
const searchTTL = 10 * time.Second

// searchCache holds a session's recent searches.
type searchCache struct {
	mu      sync.Mutex
	entries map[string]cachedSearch
}

type cachedSearch struct {
	entries []LostEntry
	csv     []byte
	at      time.Time
}

// search runs a query through the session's cache.
func (s *session) search(query string) ([]LostEntry, []byte, error) {
	c := &s.searches
	now := s.srv.now()
	c.mu.Lock()
	if r, ok := c.entries[query]; ok && now.Sub(r.at) < searchTTL {
		c.mu.Unlock()
		return r.entries, r.csv, nil
	}
	c.mu.Unlock()
	entries, csv, err := s.srv.lost.Search(s.who, query)
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = make(map[string]cachedSearch)
	}
	for q, r := range c.entries {
		if now.Sub(r.at) >= searchTTL {
			delete(c.entries, q)
		}
	}
	c.entries[query] = cachedSearch{entries: entries, csv: csv, at: now}
	c.mu.Unlock()
	return entries, csv, nil
}

// forgetSearches drops the cache after a claim changed what they find.
func (s *session) forgetSearches() {
	s.searches.mu.Lock()
	s.searches.entries = nil
	s.searches.mu.Unlock()
}
