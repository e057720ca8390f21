package sftpd

import (
	"path"
	"strings"

	"github.com/s2sd/s2sd/spool"
)

// folder is one top-level folder of a user's view.
type folder struct {
	name   string // as the user sees it, e.g. "outbox"
	upload bool   // files may be uploaded here
	delete bool   // files may be deleted here
	lost   bool   // the Lost Pupil Database's virtual folder
	report bool   // the reports' virtual folder
	withdr bool   // an LA's uncollected transfers it may withdraw
	msgs   bool   // the secure messages
	admin  bool   // an LA's administration files

	docs Documents // the service keeping a messages or admin folder
}

func (f *folder) isDocs() bool { return f.docs != nil }

// The folders kept by services.
const (
	messagesFolder = "messages"
	adminFolder    = "admin"
)

// foldersFor returns the folders a role sees, in listing order. A folder a
// role does not see does not exist for it.
func foldersFor(role string) []folder {
	outbox := folder{name: spool.Outbox, upload: true}
	inbox := folder{name: spool.Inbox, delete: true}
	rejected := folder{name: spool.Rejected, delete: true}
	copies := folder{name: spool.Copies, delete: true}
	reports := folder{name: reportsFolder, report: true}
	messages := folder{name: messagesFolder, msgs: true}
	admin := folder{name: adminFolder, admin: true}
	switch role {
	case "la-lost-pupil", "la-lost-pupil-transfer":
		return []folder{outbox, inbox, rejected, {name: lostFolder, lost: true}, reports, messages}
	case "school", "la-plasc", "la-admissions":
		return []folder{outbox, inbox, rejected, reports, messages}
	case "la-user", "la-school":
		return []folder{outbox, inbox, rejected, copies, reports, {name: withdrawFolder, withdr: true}, messages}
	case "la-dba":
		return []folder{outbox, inbox, rejected, copies, reports, {name: withdrawFolder, withdr: true}, messages, admin}
	case "admin": // sends for any mailbox; rejections come back here
		return []folder{outbox, rejected, reports}
	case "la-dba-view": // its LA's users and reports; no files
		return []folder{reports, admin}
	default:
		return nil
	}
}

// target is a path of the view, resolved.
type target struct {
	path   string   // cleaned virtual path, e.g. "/outbox/x.xml"
	folder *folder  // nil for the root
	name   string   // file name within the folder; empty for a folder
	lost   []string // under /lost-pupils: the path below it (non-nil)
	report []string // under /reports: the path below it (non-nil)
	doc    []string // under a Documents folder: the path below it (non-nil)
}

// resolve maps a client path onto the view. Anything that is not the root,
// one of the role's folders, or a plain file name directly inside one of
// them does not exist. NUL bytes and backslashes are refused outright, and
// ".." cannot climb above the root because the path is cleaned as an
// absolute path first.
func (v *view) resolve(p string) (target, error) {
	if strings.ContainsAny(p, "\x00\\") {
		return target{}, denied("file names may not contain NUL bytes or backslashes")
	}
	clean := path.Clean("/" + p)
	if clean == "/" {
		return target{path: "/"}, nil
	}
	parts := strings.Split(clean[1:], "/")
	var f *folder
	for i := range v.folders {
		if v.folders[i].name == parts[0] {
			f = &v.folders[i]
		}
	}
	if f == nil {
		return target{}, notFound(clean)
	}
	if f.lost {
		return v.resolveLost(clean, f, parts[1:])
	}
	if f.isDocs() {
		if len(parts) > 3 {
			return target{}, notFound(clean)
		}
		for _, p := range parts[1:] {
			if strings.HasPrefix(p, ".") {
				return target{}, notFound(clean)
			}
		}
		return target{path: clean, folder: f, doc: append([]string{}, parts[1:]...)}, nil
	}
	if f.report {
		if len(parts) > 3 {
			return target{}, notFound(clean)
		}
		return target{path: clean, folder: f, report: append([]string{}, parts[1:]...)}, nil
	}
	if len(parts) > 2 {
		return target{}, notFound(clean)
	}
	t := target{path: clean, folder: f}
	if len(parts) == 2 {
		if strings.HasPrefix(parts[1], ".") {
			return target{}, notFound(clean)
		}
		t.name = parts[1]
	}
	return t, nil
}

// view is what one user sees: the folders of its role over its mailbox.
type view struct {
	box     string // spool directory name: the mailbox code, or spool.AdminBox
	folders []folder
}

// resolveLost maps a path under /lost-pupils: search, search/QUERY,
// search/QUERY/FILE, claimed, claimed/FILE, match and match/FILE.
func (v *view) resolveLost(clean string, f *folder, rest []string) (target, error) {
	t := target{path: clean, folder: f, lost: append([]string{}, rest...)}
	switch {
	case len(rest) == 0:
	case rest[0] == lostSearch && len(rest) <= 3:
	case rest[0] == lostClaimed && len(rest) <= 2:
	case rest[0] == lostMatch && len(rest) <= 2:
	default:
		return target{}, notFound(clean)
	}
	return t, nil
}
