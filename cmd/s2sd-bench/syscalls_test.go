package main

import (
	"reflect"
	"testing"
)

func TestStraceParsing(t *testing.T) {
	trace := []byte(`12 fsync(7</tmp/b/s2sd/data/spool/8231000/outbox>) = 0
13 fdatasync(9</tmp/b/s2sd/data/ledger.db-wal>) = 0
13 fsync(9</tmp/b/s2sd/data/ledger.db-wal> <unfinished ...>
12 fsync(8</tmp/b/s2sd/data/spool/8232000/.staging/0a1b2c>) = 0
12 fsync(3</tmp/b/s2sd/data>) = 0
14 write(5</tmp/b/s2sd/data/ledger.db-wal>, "x", 1) = 1
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 61.48    0.105123         262       401           fsync
  0.57    0.000982           4       200        12 openat
------ ----------- ----------- --------- --------- ----------------
100.00    0.170991          71      2397        12 total
`)
	wantCalls := map[string]int{"fsync": 401, "openat": 200}
	if got := parseStraceSummary(trace); !reflect.DeepEqual(got, wantCalls) {
		t.Errorf("parseStraceSummary = %v, want %v", got, wantCalls)
	}
	wantSyncs := map[string]int{"spool/CODE/outbox": 1, "ledger.db-wal": 2, "spool/CODE/.staging/FILE": 1, "(the data directory)": 1}
	if got := fsyncPaths(trace); !reflect.DeepEqual(got, wantSyncs) {
		t.Errorf("fsyncPaths = %v, want %v", got, wantSyncs)
	}
}

func TestCategory(t *testing.T) {
	for sym, want := range map[string]string{
		"crypto/internal/fips140/aes/gcm.gcmAesEnc":             catCipher,
		"aesni_gcm_encrypt":                                     catCipher,
		"runtime.memmove":                                       catCopy,
		"[k] copy_user_enhanced_fast_string":                    catCopy,
		"[k] do_syscall_64":                                     catKernel,
		"github.com/pkg/sftp.(*packetManager).workerChan":       catSFTP,
		"golang.org/x/crypto/ssh.(*connectionState).readPacket": catSSH,
		"crypto/internal/fips140/sha256.blockSHANI":             catHash,
		"runtime.mallocgc":                                      catRuntime,
		"main.main":                                             catOther,
	} {
		if got := category(sym); got != want {
			t.Errorf("category(%q) = %q, want %q", sym, got, want)
		}
	}
}
