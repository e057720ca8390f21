package daemon

import (
	"context"

	"github.com/s2sd/s2sd/messaging"
	"github.com/s2sd/s2sd/sftpd"
)

// messageHooks serves /messages/ from the secure messaging service.
type messageHooks struct{ svc *messaging.Service }

var _ sftpd.Documents = messageHooks{}

func messageWho(who sftpd.Identity) messaging.Who {
	return messaging.Who{Login: who.Login, Mailbox: who.Mailbox, Remote: who.Remote}
}

func (h messageHooks) List(who sftpd.Identity, dir string) ([]sftpd.DocEntry, error) {
	es, err := h.svc.List(context.Background(), messageWho(who), dir)
	out := make([]sftpd.DocEntry, len(es))
	for i, e := range es {
		out[i] = sftpd.DocEntry{Name: e.Name, Dir: e.Dir, Size: e.Size, Modified: e.Modified, Writable: e.Writable}
	}
	return out, err
}

func (h messageHooks) Read(who sftpd.Identity, file string) ([]byte, error) {
	return h.svc.Read(context.Background(), messageWho(who), file)
}

func (h messageHooks) Opened(who sftpd.Identity, file string) {
	h.svc.Opened(context.Background(), messageWho(who), file)
}

func (h messageHooks) CheckPut(who sftpd.Identity, file string) (int64, error) {
	return h.svc.CheckPut(context.Background(), messageWho(who), file)
}

func (h messageHooks) Put(who sftpd.Identity, file, staged string) error {
	return h.svc.Put(context.Background(), messageWho(who), file, staged)
}

func (h messageHooks) Remove(who sftpd.Identity, file string) error {
	return h.svc.Remove(context.Background(), messageWho(who), file)
}
