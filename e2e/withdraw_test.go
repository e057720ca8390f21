package e2e

import (
	"strconv"
	"testing"
	"time"
)

// TestWithdrawOverSFTP has an LA user withdraw an uncollected transfer to
// one of its schools by deleting it from /withdraw/: the file leaves the
// school's inbox, the transfer is withdrawn, and a school user has no
// /withdraw/ at all.
func TestWithdrawOverSFTP(t *testing.T) {
	t.Parallel()
	d := schools(t, options{})
	d.user(t, "cbc", centralBeds, "la-user")
	name, data := ctf(ampthill, biggleswade, 1, 3_000)
	if r := d.sftp(t, passwordLogin("ampthill"), "put "+d.localFile(t, name, data)+" /outbox/"+name+"\n"); r.code != 0 {
		t.Fatalf("sftp put: exit %d\n%s", r.code, r.stderr)
	}
	d.assertRouted(t, ampthill, biggleswade, name, data)
	// The transfer row commits just after the file reaches the inbox.
	rows := d.transferRows(t, name)
	for deadline := time.Now().Add(5 * time.Second); len(rows) == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		rows = d.transferRows(t, name)
	}
	if len(rows) != 1 {
		t.Fatalf("%d transfers of %s, want 1", len(rows), name)
	}
	id := rows[0].ID
	entry := strconv.FormatInt(id, 10) + "_" + name
	d.runOps(t, passwordLogin("cbc"), []op{
		{name: "list", op: "list", path: "/withdraw", value: []string{entry}},
		{name: "read", op: "read", path: "/withdraw/" + entry, errno: eacces,
			msg: entry + " cannot be downloaded here: delete it from /withdraw/ to withdraw it from its destination"},
		{name: "withdraw", op: "remove", path: "/withdraw/" + entry},
		{name: "gone", op: "list", path: "/withdraw", value: []string{}},
	})
	waitEntries(t, d.box(biggleswade, "inbox"))
	if rows := d.transferRows(t, name); len(rows) != 1 || rows[0].State != "withdrawn" || rows[0].StateBy != "cbc" || !rows[0].Removed {
		t.Fatalf("transfer after withdrawal: %+v", rows)
	}
	d.runOps(t, passwordLogin("ampthill"), []op{
		{name: "school", op: "list", path: "/withdraw", errno: enoent, msg: noSuch("/withdraw")},
	})
	if out := d.cli(t, "", "verify"); out != "verify: the ledger and the files on disk agree\n" {
		t.Fatalf("verify: %q", out)
	}
}
