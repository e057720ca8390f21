package main

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestStraceParsing(t *testing.T) {
	trace := []byte(`12 fsync(7</tmp/b/s2sd/data/spool/8231000/outbox>) = 0
13 fdatasync(9</tmp/b/s2sd/data/ledger.db-wal>) = 0
13 fsync(9</tmp/b/s2sd/data/ledger.db-wal> <unfinished ...>
12 fsync(8</tmp/b/s2sd/data/spool/8232000/.staging/0a1b2c>) = 0
12 fsync(3</tmp/b/s2sd/data>) = 0
15 io_submit(0x7f3e9a03d000, 2, [{aio_data=0, aio_lio_opcode=IOCB_CMD_FSYNC, aio_fildes=5</tmp/b/s2sd/data/spool/8231000/.staging/ack-1a2b3c4d-10-8231000_CTF_8232000_001.XML>}, {aio_data=0x1, aio_lio_opcode=IOCB_CMD_FSYNC, aio_fildes=8</tmp/b/s2sd/data/spool/8231000/.staging>}]) = 2
15 io_getevents(0x7f3e9a03d000, 2, 2, [{data=0, obj=0x386fcde3ec70, res=0, res2=0}, {data=0x1, obj=0x386fcde3ecb0, res=0, res2=0}], NULL) = 2
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
	wantSyncs := map[string]int{"spool/CODE/outbox": 1, "ledger.db-wal": 2, "spool/CODE/.staging/FILE": 2, "spool/CODE/.staging": 1, "(the data directory)": 1}
	if got, aio := fsyncPaths(trace); !reflect.DeepEqual(got, wantSyncs) || aio != 2 {
		t.Errorf("fsyncPaths = %v, %d by AIO; want %v, 2", got, aio, wantSyncs)
	}
}

func TestCategory(t *testing.T) {
	for _, tc := range []struct {
		line string // as perf report prints it, after the percentage
		want string
	}{
		{"s2sd [.] crypto/internal/fips140/aes/gcm.gcmAesEnc", catCipher},
		{"libcrypto.so.3 [.] 0x00000000002a1b2c", catCipher},
		{"libcrypto.so.3 [.] aesni_gcm_encrypt", catCipher},
		{"s2sd [.] runtime.memmove", catCopy},
		{"[kernel.kallsyms] [k] copy_user_enhanced_fast_string", catCopy},
		{"[kernel.kallsyms] [k] do_syscall_64", catKernel},
		{"s2sd [.] github.com/pkg/sftp.(*packetManager).workerChan", catSFTP},
		{"s2sd [.] golang.org/x/crypto/ssh.(*connectionState).readPacket", catSSH},
		{"s2sd [.] crypto/internal/fips140/sha256.blockSHANI", catHash},
		{"s2sd [.] runtime.mallocgc", catRuntime},
		{"s2sd [.] main.main", catOther},
		{"sshd [.] 0x000000000024211c", catOther},
	} {
		s := share(1, strings.Fields(tc.line))
		if got := category(s); got != tc.want {
			t.Errorf("category(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestOwnerShares(t *testing.T) {
	script := []byte(`
	4a1b2c runtime.memclrNoHeapPointers (/tmp/b/bin/s2sd)
	4a1b00 runtime.mallocgc (/tmp/b/bin/s2sd)
	7a0000 github.com/pkg/sftp.(*RequestServer).packetWorker (/tmp/b/bin/s2sd)

	ffffffff8122 copy_user_generic ([kernel.kallsyms])
	ffffffff8123 do_syscall_64 ([kernel.kallsyms])
	4b0000 syscall.Syscall (/tmp/b/bin/s2sd)
	4c0000 golang.org/x/crypto/ssh.(*transport).writePacket (/tmp/b/bin/s2sd)

	5d0000 crypto/internal/fips140/aes/gcm.gcmAesEnc.abi0 (/tmp/b/bin/s2sd)
	4c0000 golang.org/x/crypto/ssh.(*transport).writePacket (/tmp/b/bin/s2sd)

	4e0000 runtime.scanObject (/tmp/b/bin/s2sd)
	4e0100 runtime.gcBgMarkWorker (/tmp/b/bin/s2sd)
`)
	want := map[string]float64{
		"github.com/pkg/sftp":            25,
		"golang.org/x/crypto/ssh":        25,
		catCipher:                        25,
		"Go runtime: GC background work": 25,
	}
	if got := ownerShares(script); !reflect.DeepEqual(got, want) {
		t.Errorf("ownerShares = %v, want %v", got, want)
	}
}

func TestSleeps(t *testing.T) {
	trace := []byte(`101 clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=1000000}, 0x7f00) = 0
102 clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=0, tv_nsec=25000000},  <unfinished ...>
103 nanosleep({tv_sec=0, tv_nsec=20000}, NULL) = 0
104 <... clock_nanosleep resumed>0x7f01) = 0
`)
	got := sleeps(trace)
	if got.calls != 2 || got.total != 26*time.Millisecond || got.byLen[time.Millisecond] != 1 || got.byLen[25*time.Millisecond] != 1 {
		t.Errorf("sleeps = %+v, want 2 calls, 1 ms and 25 ms", got)
	}
}
