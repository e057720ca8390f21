package excelcsv

import "testing"

func TestWrite(t *testing.T) {
	got := string(WriteText([]string{"name", "note"}, [][]string{{"Ysgol Môn, Amlwch", "=SUM(A1)"}, {"'t Hooft", "-1"}}))
	want := "\ufeffname,note\r\n\"Ysgol Môn, Amlwch\",'=SUM(A1)\r\n't Hooft,'-1\r\n"
	if got != want {
		t.Fatalf("Write = %q, want %q", got, want)
	}
	for in, out := range map[string]string{"'=SUM(A1)": "=SUM(A1)", "'t Hooft": "'t Hooft", "'-1": "-1", "'": "'", "": ""} {
		if got := Uncell(in); got != out {
			t.Errorf("Uncell(%q) = %q, want %q", in, got, out)
		}
	}
}
