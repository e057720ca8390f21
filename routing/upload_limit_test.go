package routing

import "testing"

func TestSizeLimit(t *testing.T) {
	las := testLAs(t)
	limits := DefaultLimits()
	if limits != (Limits{CTFMax: 50 << 20, GenericSchool: 4 << 20, GenericLA: 10 << 20}) {
		t.Fatalf("DefaultLimits() = %+v", limits)
	}
	tests := []struct {
		name string
		kind Kind
		want int64
	}{
		{"8231234_CTF_8239999_001.XML", KindSchool, 50 << 20},
		{"823LLLL_CTF_8231234_001.XML", KindLA, 50 << 20},
		{"8231234_CML_823LLLL_001.XML", KindSchool, 50 << 20},
		{"8231234_8239999_NOTES.ZIP", KindSchool, 4 << 20},
		{"823LLLL_8231234_NOTES.ZIP", KindLA, 10 << 20},
		{"823PLAS_8231234_NOTES.ZIP", KindLAPlasc, 10 << 20},
		{"823ADMS_8231234_NOTES.ZIP", KindLAAdmissions, 10 << 20},
		{"823LLLL_8231234_NOTES.ZIP", "", 10 << 20}, // admin, for an LA
		{"8231234_823LLLL_NOTES.ZIP", "", 4 << 20},  // admin, for a school
	}
	for _, tt := range tests {
		n, err := ParseName(tt.name, las)
		if err != nil {
			t.Fatal(err)
		}
		if got := SizeLimit(n, tt.kind, limits); got != tt.want {
			t.Errorf("SizeLimit(%s, %q) = %d, want %d", tt.name, tt.kind, got, tt.want)
		}
	}
	custom := Limits{CTFMax: 1, GenericSchool: 2, GenericLA: 3}
	n, _ := ParseName("823LLLL_8231234_NOTES.ZIP", las)
	if got := SizeLimit(n, KindLA, custom); got != 3 {
		t.Errorf("SizeLimit with custom limits = %d, want 3", got)
	}
}
