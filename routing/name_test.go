package routing

import (
	"errors"
	"strings"
	"testing"
)

func testLAs(t testing.TB) LANumbers {
	t.Helper()
	las, err := NewLANumbers(DefaultLANumbers())
	if err != nil {
		t.Fatal(err)
	}
	return las
}

func TestParseNameValid(t *testing.T) {
	las := testLAs(t)
	tests := []struct {
		name      string
		src, dest string
		destKind  Kind
		typ       FileType
		seq, text string
		canonical string
	}{
		// school → school
		{"8231234_CTF_8239999_001.XML", "8231234", "8239999", KindSchool, TypeCTF, "001", "", ""},
		{"8231234_ctf_8251234_042.xml", "8231234", "8251234", KindSchool, TypeCTF, "042", "", "8231234_CTF_8251234_042.XML"},
		{"6601234_CTF_6815678_999.XML", "6601234", "6815678", KindSchool, TypeCTF, "999", "", ""},
		// school or LA → Lost Pupil Database
		{"8231234_CTF_MMMMMMM_001.XML", "8231234", "MMMMMMM", KindLostLeft, TypeCTF, "001", "", ""},
		{"8231234_CTF_xxxxxxx_007.Xml", "8231234", "XXXXXXX", KindLostUnknown, TypeCTF, "007", "", "8231234_CTF_XXXXXXX_007.XML"},
		{"823LLLL_CTF_XXXXXXX_001.XML", "823LLLL", "XXXXXXX", KindLostUnknown, TypeCTF, "001", "", ""},
		// school → LA, census team, admissions team
		{"8231234_CTF_823LLLL_001.XML", "8231234", "823LLLL", KindLA, TypeCTF, "001", "", ""},
		{"8231234_CTF_823plas_001.XML", "8231234", "823PLAS", KindLAPlasc, TypeCTF, "001", "", "8231234_CTF_823PLAS_001.XML"},
		{"8231234_CTF_825ADMS_001.XML", "8231234", "825ADMS", KindLAAdmissions, TypeCTF, "001", "", ""},
		// LA → school or LA, with and without the second underscore
		{"823LLLL_CTF_8231234_001.XML", "823LLLL", "8231234", KindSchool, TypeCTF, "001", "", ""},
		{"823LLLL_CTF_825LLLL_001.XML", "823LLLL", "825LLLL", KindLA, TypeCTF, "001", "", ""},
		{"823LLLL_CTF8231234_001.XML", "823LLLL", "8231234", KindSchool, TypeCTF, "001", "", "823LLLL_CTF_8231234_001.XML"},
		{"823plas_ctf8231234_002.xml", "823PLAS", "8231234", KindSchool, TypeCTF, "002", "", "823PLAS_CTF_8231234_002.XML"},
		{"825ADMS_CTF8251234_003.XML", "825ADMS", "8251234", KindSchool, TypeCTF, "003", "", "825ADMS_CTF_8251234_003.XML"},
		// CME returns
		{"8231234_CML_823LLLL_001.XML", "8231234", "823LLLL", KindLA, TypeCML, "001", "", ""},
		{"8231234_cmj_823llll_010.xml", "8231234", "823LLLL", KindLA, TypeCMJ, "010", "", "8231234_CMJ_823LLLL_010.XML"},
		{"8231234_CML_823ADMS_001.XML", "8231234", "823ADMS", KindLAAdmissions, TypeCML, "001", "", ""},
		// generic
		{"8231234_8239999_NOTES.ZIP", "8231234", "8239999", KindSchool, TypeGeneric, "", "NOTES", ""},
		{"8231234_823LLLL_FFT15.ZIP", "8231234", "823LLLL", KindLA, TypeGeneric, "", "FFT15", ""},
		{"823llll_8231234_fft15.zip", "823LLLL", "8231234", KindSchool, TypeGeneric, "", "FFT15", "823LLLL_8231234_FFT15.ZIP"},
		{"8231234_823PLAS_a-b_c.Zip", "8231234", "823PLAS", KindLAPlasc, TypeGeneric, "", "A-B_C", "8231234_823PLAS_A-B_C.ZIP"},
		{"8231234_8239999_ABCDEFGHIJKLMNO.ZIP", "8231234", "8239999", KindSchool, TypeGeneric, "", "ABCDEFGHIJKLMNO", ""},
		{"8231234_8239999_X.ZIP", "8231234", "8239999", KindSchool, TypeGeneric, "", "X", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseName(tt.name, las)
			if err != nil {
				t.Fatalf("ParseName: %v", err)
			}
			if n.Original != tt.name || n.String() != tt.name {
				t.Errorf("Original = %q, want %q", n.Original, tt.name)
			}
			if n.Source.Value != tt.src || n.Dest.Value != tt.dest || n.Dest.Kind != tt.destKind {
				t.Errorf("source, dest = %s, %s (%s); want %s, %s (%s)", n.Source, n.Dest, n.Dest.Kind, tt.src, tt.dest, tt.destKind)
			}
			if n.Type != tt.typ || n.Seq != tt.seq || n.Text != tt.text {
				t.Errorf("type, seq, text = %s, %q, %q; want %s, %q, %q", n.Type, n.Seq, n.Text, tt.typ, tt.seq, tt.text)
			}
			wantExt := "XML"
			if tt.typ == TypeGeneric {
				wantExt = "ZIP"
			}
			if n.Ext != wantExt {
				t.Errorf("Ext = %q, want %q", n.Ext, wantExt)
			}
			canonical := tt.canonical
			if canonical == "" {
				canonical = tt.name
			}
			if got := n.Canonical(); got != canonical {
				t.Errorf("Canonical() = %q, want %q", got, canonical)
			}
			admissions := strings.HasSuffix(tt.src, "ADMS") || strings.HasSuffix(tt.dest, "ADMS")
			if n.IsAdmissions() != admissions {
				t.Errorf("IsAdmissions() = %v, want %v", n.IsAdmissions(), admissions)
			}
			lost := tt.destKind == KindLostLeft || tt.destKind == KindLostUnknown
			if n.IsLost() != lost || n.IsXML() != (tt.typ != TypeGeneric) || n.IsGeneric() != (tt.typ == TypeGeneric) {
				t.Errorf("IsLost, IsXML, IsGeneric = %v, %v, %v", n.IsLost(), n.IsXML(), n.IsGeneric())
			}
		})
	}
}

func TestParseNameInvalid(t *testing.T) {
	las := testLAs(t)
	const (
		codeRule = "must be a 7-character code: a school's DfE number such as 8231234 or an LA code such as 823LLLL"
		extRule  = "a CTF, CML or CMJ file ends in .XML and a generic file in .ZIP"
		seqRule  = "the sequence number must be exactly 3 digits, e.g. 001"
		browser  = "which a browser adds to a repeated download: rename the file to its proper name"
	)
	tests := []struct{ name, reason string }{
		{"", "the name is empty: name a CTF like 8231234_CTF_8239999_001.XML and a generic file like 8231234_8239999_NOTES.ZIP"},
		{"../8231234_CTF_8239999_001.XML", "a file name cannot contain / or \\ or a NUL character"},
		{"8231234_CTF_8239999_1.XML", seqRule},
		{"8231234_CTF_8239999_01.XML", seqRule},
		{"8231234_CTF_8239999_0001.XML", seqRule},
		{"8231234_CTF_8239999_00A.XML", seqRule},
		{"8231234_CTF_8239999.XML", "the sequence number is missing: add your next 3-digit number before the extension, e.g. 8231234_CTF_8239999_001.XML"},
		{"8231234_CTF_8239999_001 (1).XML", `ends in " (1)", ` + browser},
		{"8231234_CTF_8239999_001(2).xml", `ends in "(2)", ` + browser},
		{"8231234_8239999_NOTES (12).ZIP", `ends in " (12)", ` + browser},
		{"8231234_CTF_8239999_001.XML (1)", `ends in " (1)", ` + browser},
		{"8231234_CTF_8239999_001 .XML", "contains a space: file names may not contain spaces"},
		{"8231234_CTF_8239999_001.TXT", "the extension .TXT is not allowed: " + extRule},
		{"8231234_CTF_8239999_001.xml.gz", "the extension .gz is not allowed: " + extRule},
		{"8231234_CTF_8239999_001", "has no extension: " + extRule},
		{"8231234_CTF_8239999_001.", "has no extension: " + extRule},
		{"8231234_CTF_82312_001.XML", "the destination 82312 " + codeRule},
		{"823123_CTF_8239999_001.XML", "the source 823123 " + codeRule},
		{"8231234_CTF_82399999_001.XML", "the destination 82399999 " + codeRule},
		{"8231234_CTF__001.XML", "the destination code is missing: a file name starts with the source's code, then the destination's, e.g. 8231234_CTF_8239999_001.XML"},
		{"9991234_CTF_8239999_001.XML", "the source 9991234 starts with 999, which is not a known LA number: check the code"},
		{"8231234_CTF_824LLLL_001.XML", "the destination 824LLLL starts with 824, which is not a known LA number: check the code"},
		{"8231234_CTF_823ABCD_001.XML", "the destination 823ABCD is not a DfE number (LLLSSSS), an LA code (LLLLLLL, LLLPLAS, LLLADMS) or a Lost Pupil Database code (XXXXXXX, MMMMMMM)"},
		{"ABC1234_CTF_8239999_001.XML", "the source ABC1234 must start with a 3-digit LA number"},
		{"XXXXXXX_CTF_8239999_001.XML", "the source XXXXXXX is a Lost Pupil Database code: start the name with your own DfE number"},
		{"8231234_ABC_8239999_001.XML", "the part after the source must be CTF, CML or CMJ, not ABC"},
		{"hello.xml", "does not follow the pattern SOURCE_CTF_DESTINATION_NNN.XML, e.g. 8231234_CTF_8239999_001.XML"},
		{"8231234_CTF_8239999_001_002.XML", "does not follow the pattern SOURCE_CTF_DESTINATION_NNN.XML, e.g. 8231234_CTF_8239999_001.XML"},
		{"8231234_CTF8239999_001.XML", "put an underscore between CTF and the destination, e.g. 8231234_CTF_8239999_001.XML"},
		{"8231234_cml823LLLL_001.XML", "put an underscore between CML and the destination, e.g. 8231234_CML_823LLLL_001.XML"},
		{"823LLLL_CML_823LLLL_001.XML", "a CML file is sent by a school: the source 823LLLL is not a school's DfE number"},
		{"8231234_CMJ_8239999_001.XML", "a CMJ file goes to an LA: the destination 8239999 must be an LA code such as 823LLLL"},
		{"8231234_CMJ_XXXXXXX_001.XML", "a CMJ file goes to an LA: the destination XXXXXXX must be an LA code such as 823LLLL"},
		{"8231234_8239999_NOTES.XML", "a generic file must be a zip whose name ends in .ZIP: only CTF, CML and CMJ files end in .XML"},
		{"8231234_CTF_8239999_001.ZIP", "a CTF file must end in .XML, not .ZIP"},
		{"823LLLL_CTF8231234_001.zip", "a CTF file must end in .XML, not .ZIP"},
		{"8231234_8239999_ABCDEFGHIJKLMNOP.ZIP", "the text ABCDEFGHIJKLMNOP is 16 characters long: use at most 15"},
		{"8231234_8239999_NOTES!.ZIP", "the text NOTES! may hold only letters A-Z, digits, - and _"},
		{"8231234_8239999_NOTÉS.ZIP", "the text NOTÉS may hold only letters A-Z, digits, - and _"},
		{"8231234_8239999_.ZIP", "the text after the destination is missing: name a generic file SOURCE_DESTINATION_TEXT.ZIP, e.g. 8231234_8239999_NOTES.ZIP"},
		{"8231234_8239999.ZIP", "the text is missing: name a generic file SOURCE_DESTINATION_TEXT.ZIP, e.g. 8231234_8239999_NOTES.ZIP"},
		{"NOTES.ZIP", "does not follow the pattern SOURCE_DESTINATION_TEXT.ZIP, e.g. 8231234_8239999_NOTES.ZIP"},
		{"8231234_XXXXXXX_NOTES.ZIP", "a generic file cannot go to the Lost Pupil Database (XXXXXXX): only a CTF can"},
		{"MMMMMMM_8231234_NOTES.ZIP", "the source MMMMMMM is a Lost Pupil Database code: start the name with your own DfE number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ParseName(tt.name, las)
			if err == nil {
				t.Fatalf("ParseName = %+v, want an error", n)
			}
			var ne *NameError
			if !errors.As(err, &ne) {
				t.Fatalf("error %T is not a *NameError", err)
			}
			if ne.Name != tt.name || ne.Reason != tt.reason {
				t.Errorf("reason\n got %q\nwant %q", ne.Reason, tt.reason)
			}
			if n != (Name{}) {
				t.Errorf("ParseName returned %+v with its error, want the zero Name", n)
			}
		})
	}
}

func TestNameErrorText(t *testing.T) {
	_, err := ParseName("8231234_CTF_8239999_1.XML", testLAs(t))
	want := `file name "8231234_CTF_8239999_1.XML": the sequence number must be exactly 3 digits, e.g. 001`
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}
