package main

import "github.com/s2sd/s2sd/routing"

// rolesFor lists the names of the roles that belong in mailboxes of kind k.
func rolesFor(k routing.Kind) []string {
	var names []string
	for _, r := range routing.Roles() {
		if r.MailboxKind() == k {
			names = append(names, string(r))
		}
	}
	return names
}
