package delivery

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/s2sd/s2sd/internal/ctftest"
	"github.com/s2sd/s2sd/ledger"
)

// stillWaiting is the pre-check's refusal of a name waiting at dest.
func stillWaiting(name, dest string) string {
	return name + " is still waiting at " + dest + ": send the file again under the next sequence number"
}

// TestCheckUploadWaitingFromMemory: once started, the router answers the
// OPEN pre-check's "does this name still wait?" from the transfers that
// waited at start and those it has routed since, and asks the ledger only
// about those, so that a name collected meanwhile is accepted again.
func TestCheckUploadWaitingFromMemory(t *testing.T) {
	e := newEnv(t)
	before := "8231234_CTF_8232345_001.XML"
	e.drop("8231234", before, ctftest.Between("8231234", "8232345"))
	e.route("8231234", before, school)
	e.router.Start(context.Background())
	defer e.router.Close()

	after := "8231234_CTF_8232345_002.XML"
	e.drop("8231234", after, ctftest.Between("8231234", "8232345"))
	e.router.Submit("8231234", after)
	e.router.Wait()

	// With the inbox files gone behind the router's back, only the
	// ledger, through the set, still says the names wait.
	for _, n := range []string{before, after} {
		if err := os.Remove(e.path("spool", "8232345", "inbox", n)); err != nil {
			t.Fatal(err)
		}
		if !e.router.waits.mayWait("8232345", n) {
			t.Fatalf("%s: the set does not hold it", n)
		}
		if _, err := e.router.CheckUpload(ctx(), *school, n); err == nil || err.Error() != stillWaiting(n, "8232345") {
			t.Fatalf("%s: %v", n, err)
		}
	}
	// The ledger compares names without regard to case; so does the set.
	if !e.router.waits.mayWait("8232345", "8231234_ctf_8232345_002.xml") {
		t.Fatal("the set is case-sensitive")
	}
	never := "8231234_CTF_8232345_003.XML"
	if e.router.waits.mayWait("8232345", never) || e.router.waits.mayWait("6602001", after) {
		t.Fatal("the set holds a name never sent there")
	}
	if _, err := e.router.CheckUpload(ctx(), *school, never); err != nil {
		t.Fatalf("a new name: %v", err)
	}

	// Removed from the ledger (as by expiry in another process): the set
	// still holds it, the ledger says it no longer waits.
	if err := e.ledger.Exec(ctx(), "UPDATE transfers SET removed_at = state_at WHERE name = ?", before); err != nil {
		t.Fatal(err)
	}
	if _, err := e.router.CheckUpload(ctx(), *school, before); err != nil {
		t.Fatalf("%s after removal: %v", before, err)
	}
	// A load drops it.
	if err := e.router.waits.load(ctx(), e.ledger); err != nil {
		t.Fatal(err)
	}
	if e.router.waits.mayWait("8232345", before) || !e.router.waits.mayWait("8232345", after) {
		t.Fatal("a load kept a removed transfer or lost a waiting one")
	}
}

// TestCheckUploadBeforeStart: until the router has read what waits, the
// pre-check asks the ledger about every name.
func TestCheckUploadBeforeStart(t *testing.T) {
	e := newEnv(t)
	name := "8231234_CTF_8232345_001.XML"
	e.drop("8231234", name, ctftest.Between("8231234", "8232345"))
	e.route("8231234", name, school)
	os.Remove(e.path("spool", "8232345", "inbox", name))
	if !e.router.waits.mayWait("8232345", "8231234_CTF_8232345_999.XML") {
		t.Fatal("an unloaded set ruled a name out")
	}
	if _, err := e.router.CheckUpload(ctx(), *school, name); err == nil || err.Error() != stillWaiting(name, "8232345") {
		t.Fatalf("before start: %v", err)
	}
}

// TestCheckUploadWhileRouting lets the race detector watch OPEN pre-checks
// run while workers route and the set is loaded again, then checks that
// the set holds every routed name. (That a load cannot miss a transfer in
// flight is the recording lock's; the loads here are too frequent for a
// missed one to last to the end.)
func TestCheckUploadWhileRouting(t *testing.T) {
	e := newEnv(t)
	e.router.Start(context.Background())
	defer e.router.Close()
	const files = 40
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			e.router.CheckUpload(ctx(), *school, fmt.Sprintf("8231234_CTF_8232345_%03d.XML", i%files))
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			if err := e.router.waits.load(ctx(), e.ledger); err != nil {
				t.Error(err)
			}
		}
	}()
	for i := range files {
		n := fmt.Sprintf("8231234_CTF_8232345_%03d.XML", i)
		e.drop("8231234", n, ctftest.Between("8231234", "8232345"))
		e.router.Submit("8231234", n)
	}
	e.router.Wait()
	close(stop)
	wg.Wait()
	for i := range files {
		n := fmt.Sprintf("8231234_CTF_8232345_%03d.XML", i)
		if !e.router.waits.mayWait("8232345", n) {
			t.Fatalf("%s routed but not in the set", n)
		}
	}
}

// TestCheckUploadHoldsMailboxes: the pre-check sees a change to a mailbox
// it looked up once mailboxHold has passed, and a mailbox just added at
// once.
func TestCheckUploadHoldsMailboxes(t *testing.T) {
	e := newEnv(t)
	clock := time.Now()
	e.router.held.now = func() time.Time { return clock }
	name := "8231234_CTF_8232345_001.XML"
	if _, err := e.router.CheckUpload(ctx(), *school, name); err != nil {
		t.Fatal(err)
	}
	if err := e.ledger.CloseMailbox(ctx(), "8232345", "", e.now); err != nil {
		t.Fatal(err)
	}
	if _, err := e.router.CheckUpload(ctx(), *school, name); err != nil {
		t.Fatalf("within the hold: %v", err)
	}
	clock = clock.Add(mailboxHold)
	want := "destination 8232345 (Biggleswade) is closed: check where the pupil has gone with the LA"
	if _, err := e.router.CheckUpload(ctx(), *school, name); err == nil || err.Error() != want {
		t.Fatalf("after the hold: %v", err)
	}

	added := "8231234_CTF_8237777_001.XML"
	want = "destination 8237777 is not a known establishment: check the DfE number or LA code"
	if _, err := e.router.CheckUpload(ctx(), *school, added); err == nil || err.Error() != want {
		t.Fatalf("unknown: %v", err)
	}
	if err := e.ledger.AddMailbox(ctx(), ledger.Mailbox{Code: "8237777", Name: "New", Kind: "school", LA: "823"}, e.now); err != nil {
		t.Fatal(err)
	}
	if _, err := e.router.CheckUpload(ctx(), *school, added); err != nil {
		t.Fatalf("just added: %v", err)
	}
}

// TestWaitingSetLimit: with more transfers waiting than the set may hold,
// it holds none and every name is asked of the ledger.
func TestWaitingSetLimit(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"8231234_CTF_8232345_001.XML", "8231234_CTF_8232345_002.XML"} {
		e.drop("8231234", n, ctftest.Between("8231234", "8232345"))
		e.route("8231234", n, school)
	}
	w := newWaitingSet()
	w.limit = 2
	if err := w.load(ctx(), e.ledger); err != nil {
		t.Fatal(err)
	}
	if w.mayWait("8232345", "8231234_CTF_8232345_003.XML") || w.full() {
		t.Fatal("a set at its limit ruled nothing in, or wants loading again")
	}
	w.add("8232345", "8231234_CTF_8232345_003.XML")
	if !w.full() {
		t.Fatal("a set past its limit does not want loading again")
	}
	w.limit = 1
	if err := w.load(ctx(), e.ledger); err != nil {
		t.Fatal(err)
	}
	if !w.mayWait("8232345", "8231234_CTF_8232345_003.XML") {
		t.Fatal("a set loaded past its limit ruled a name out")
	}
}

// TestCheckUploadLostFromMemory: a Lost Pupil Database file routed after
// the start is refused again at OPEN from the set, as the ledger would.
func TestCheckUploadLostFromMemory(t *testing.T) {
	e := newEnv(t)
	e.router.Start(context.Background())
	defer e.router.Close()
	name := "8231234_CTF_XXXXXXX_001.XML"
	e.drop("8231234", name, ctftest.CTF(ctftest.Options{SourceLEA: "823", SourceEstab: "1234", DestLEA: "XXX", DestEstab: "XXXX"}))
	e.router.Submit("8231234", name)
	e.router.Wait()
	if !e.router.waits.mayWait("XXXXXXX", name) {
		t.Fatal("the set does not hold the Lost Pupil Database file")
	}
	want := name + " is already in the Lost Pupil Database: send the file again under the next sequence number"
	if _, err := e.router.CheckUpload(ctx(), *school, name); err == nil || err.Error() != want {
		t.Fatalf("resend: %v", err)
	}
}
