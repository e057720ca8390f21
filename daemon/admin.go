package daemon

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/rs/zerolog"

	"github.com/s2sd/s2sd/config"
	"github.com/s2sd/s2sd/laadmin"
	"github.com/s2sd/s2sd/sftpd"
)

// adminDocs adapts the LA self-administration service to the SFTP
// server's /admin/ folder: a flat folder of users.csv, schools.csv and
// their result files.
type adminDocs struct {
	svc *laadmin.Service
}

var _ sftpd.Documents = adminDocs{}

// newAdminDocs serves /admin/ from the daemon's ledger.
func (d *Daemon) newAdminDocs(cfg config.Config, log zerolog.Logger) adminDocs {
	return adminDocs{svc: laadmin.New(d.Ledger, d.Hasher, laadmin.Config{
		PersonalDomains: cfg.PersonalDomains,
		Listen:          cfg.Listen,
		LANumbers:       cfg.LANumberSet(),
		Kick:            d.Mailer.Kick,
	}, log)}
}

func dba(who sftpd.Identity) laadmin.DBA {
	return laadmin.DBA{Login: who.Login, Mailbox: who.Mailbox, Role: who.Role, Remote: who.Remote}
}

// notFolder refuses a path below /admin/: it has no subfolders.
func notFolder(p string) error { return fmt.Errorf("%s: %w", p, os.ErrNotExist) }

func (a adminDocs) List(who sftpd.Identity, dir string) ([]sftpd.DocEntry, error) {
	if dir != "" {
		return nil, notFolder(dir)
	}
	files, err := a.svc.List(context.Background(), dba(who))
	if err != nil {
		return nil, err
	}
	out := make([]sftpd.DocEntry, len(files))
	for i, f := range files {
		out[i] = sftpd.DocEntry{Name: f.Name, Size: f.Size, Modified: f.Modified, Writable: f.Writable}
	}
	return out, nil
}

func (a adminDocs) Read(who sftpd.Identity, file string) ([]byte, error) {
	return a.svc.Read(context.Background(), dba(who), file)
}

func (a adminDocs) Opened(sftpd.Identity, string) {}

func (a adminDocs) CheckPut(who sftpd.Identity, file string) (int64, error) {
	return laadmin.MaxUpload, a.svc.CheckPut(dba(who), file)
}

func (a adminDocs) Put(who sftpd.Identity, file, staged string) error {
	f, err := os.Open(staged)
	if err != nil {
		return fmt.Errorf("%s could not be read back (%v); upload it again", file, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, laadmin.MaxUpload+1))
	if err != nil {
		return fmt.Errorf("%s could not be read back (%v); upload it again", file, err)
	}
	return a.svc.Put(context.Background(), dba(who), file, data)
}

func (a adminDocs) Remove(who sftpd.Identity, file string) error {
	return a.svc.Remove(context.Background(), dba(who), file)
}
