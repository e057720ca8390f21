package sftpd

import (
	"io"
	"os"
)

// Reports are the CSV reports of /reports, generated when read and scoped
// to what the user may see. Errors it returns are shown to the user.
type Reports interface {
	// Names lists the reports the user's role may read, e.g. "sent.csv".
	Names(who Identity) []string
	// Generate makes one report. period is "" for the current academic
	// year, or a folder name such as "2025-09-01_2026-08-31".
	Generate(who Identity, name, period string) ([]byte, error)
}

const reportsFolder = "reports"

// reportList lists /reports (the reports for the current academic year)
// or a period folder typed into the path.
func (s *session) reportList(t target) (listerAt, error) {
	if s.srv.reports == nil || len(t.report) > 1 {
		return nil, notFound(t.path)
	}
	out := listerAt{}
	for _, name := range s.srv.reports.Names(s.who) {
		out = append(out, fileInfo{name: name, mode: 0o400, mtime: s.srv.now()})
	}
	return out, nil
}

// reportPath splits a target under /reports into a report name and period.
func reportPath(t target) (name, period string, ok bool) {
	switch len(t.report) {
	case 1:
		return t.report[0], "", true
	case 2:
		return t.report[1], t.report[0], true
	}
	return "", "", false
}

// reportStat describes a path under /reports. A report's size is only
// known once made, so it is made here too; clients stat before reading.
func (s *session) reportStat(t target) (os.FileInfo, error) {
	if s.srv.reports == nil {
		return nil, notFound(t.path)
	}
	if len(t.report) == 0 {
		return dirInfo(reportsFolder, false), nil
	}
	name, period, ok := reportPath(t)
	if !ok {
		return nil, notFound(t.path)
	}
	if len(t.report) == 1 && !isReportName(s.srv.reports.Names(s.who), name) {
		// a period folder typed into the path
		if _, err := s.srv.reports.Generate(s.who, "", name); err != nil {
			return nil, failure("%s", err.Error())
		}
		return dirInfo(name, false), nil
	}
	b, err := s.srv.reports.Generate(s.who, name, period)
	if err != nil {
		return nil, failure("%s", err.Error())
	}
	return fileInfo{name: name, size: int64(len(b)), mode: 0o400, mtime: s.srv.now()}, nil
}

// reportRead makes a report for download.
func (s *session) reportRead(t target) (io.ReaderAt, error) {
	name, period, ok := reportPath(t)
	if !ok || s.srv.reports == nil {
		return nil, notFound(t.path)
	}
	b, err := s.srv.reports.Generate(s.who, name, period)
	if err != nil {
		return nil, failure("%s", err.Error())
	}
	return readerAt{b}, nil
}

func isReportName(names []string, name string) bool {
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}
