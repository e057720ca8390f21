package routing

import (
	"errors"
	"testing"
)

func TestCheckSender(t *testing.T) {
	las := testLAs(t)
	const (
		viewOnly = "your role la-dba-view may not send files"
		lostOnly = "your role la-lost-pupil may send generic zip files only: a CTF is sent by a user with the role la-lost-pupil-transfer"
	)
	tests := []struct {
		file    string
		mailbox string
		role    Role
		want    string // "" when allowed
	}{
		// school
		{"8231234_CTF_8239999_001.XML", "8231234", RoleSchool, ""},
		{"8231234_CTF_825LLLL_001.XML", "8231234", RoleSchool, ""},
		{"8231234_CTF_823PLAS_001.XML", "8231234", RoleSchool, ""},
		{"8231234_CTF_823ADMS_001.XML", "8231234", RoleSchool, ""},
		{"8231234_CTF_XXXXXXX_001.XML", "8231234", RoleSchool, ""},
		{"8231234_CTF_MMMMMMM_001.XML", "8231234", RoleSchool, ""},
		{"8231234_CML_823LLLL_001.XML", "8231234", RoleSchool, ""},
		{"8231234_CMJ_823ADMS_001.XML", "8231234", RoleSchool, ""},
		{"8231234_8259999_NOTES.ZIP", "8231234", RoleSchool, ""},
		{"8231234_CML_825LLLL_001.XML", "8231234", RoleSchool,
			"a CML file goes to your own LA: the destination 825LLLL is not in LA 823; use 823LLLL"},
		{"8230001_CTF_8239999_001.XML", "8231234", RoleSchool,
			"the file name's source 8230001 is not your mailbox 8231234: name files you send with your own DfE number first"},
		{"8231234_CTF_8239999_001.XML", "823LLLL", RoleSchool,
			"your account's role school does not belong in mailbox 823LLLL: ask your administrator to correct your account"},
		// LA users
		{"823LLLL_CTF_8231234_001.XML", "823LLLL", RoleLAUser, ""},
		{"823LLLL_CTF8231234_001.XML", "823LLLL", RoleLASchool, ""},
		{"823LLLL_CTF_825LLLL_001.XML", "823LLLL", RoleLADBA, ""},
		{"823LLLL_CTF_XXXXXXX_001.XML", "823LLLL", RoleLAUser, ""},
		{"823LLLL_8231234_LIST.ZIP", "823LLLL", RoleLAUser, ""},
		{"825LLLL_CTF_8231234_001.XML", "823LLLL", RoleLAUser,
			"the file name's source 825LLLL is not your mailbox 823LLLL: name files you send with your own code (823LLLL) first"},
		{"8231234_CTF_8239999_001.XML", "823LLLL", RoleLAUser,
			"the file name's source 8231234 is not your mailbox 823LLLL: name files you send with your own code (823LLLL) first"},
		{"823LLLL_CTF_8231234_001.XML", "823LLLL", RoleLALostPupil, lostOnly},
		{"823LLLL_CTF_XXXXXXX_001.XML", "823LLLL", RoleLALostPupil, lostOnly},
		{"823LLLL_8231234_LIST.ZIP", "823LLLL", RoleLALostPupil, ""},
		{"823LLLL_CTF_8231234_001.XML", "823LLLL", RoleLALostPupilTransfer, ""},
		{"823LLLL_8231234_LIST.ZIP", "823LLLL", RoleLALostPupilTransfer, ""},
		{"823LLLL_CTF_8231234_001.XML", "823LLLL", RoleLADBAView, viewOnly},
		{"823LLLL_8231234_LIST.ZIP", "823LLLL", RoleLADBAView, viewOnly},
		// census and admissions teams
		{"823PLAS_CTF_8231234_001.XML", "823PLAS", RoleLAPlasc, ""},
		{"823PLAS_8231234_CENSUS.ZIP", "823PLAS", RoleLAPlasc, ""},
		{"823LLLL_CTF_8231234_001.XML", "823LLLL", RoleLAPlasc,
			"your account's role la-plasc does not belong in mailbox 823LLLL: ask your administrator to correct your account"},
		{"823LLLL_CTF_8231234_001.XML", "823PLAS", RoleLAPlasc,
			"the file name's source 823LLLL is not your mailbox 823PLAS: name files you send with your own code (823PLAS) first"},
		{"823ADMS_CTF8231234_001.XML", "823ADMS", RoleLAAdmissions, ""},
		{"823ADMS_8231234_OFFERS.ZIP", "823ADMS", RoleLAAdmissions, ""},
		// admin sends for any mailbox, under that mailbox's rules
		{"8231234_CTF_8239999_001.XML", "", RoleAdmin, ""},
		{"825LLLL_CTF_8251234_001.XML", "", RoleAdmin, ""},
		{"8231234_CML_823LLLL_001.XML", "", RoleAdmin, ""},
		{"8231234_CMJ_825LLLL_001.XML", "", RoleAdmin,
			"a CMJ file goes to your own LA: the destination 825LLLL is not in LA 823; use 823LLLL"},
		// a role that is not one
		{"8231234_CTF_8239999_001.XML", "8231234", Role("teacher"),
			`your account has the unknown role "teacher": ask your administrator to correct your account`},
	}
	for _, tt := range tests {
		t.Run(string(tt.role)+"/"+tt.file, func(t *testing.T) {
			n, err := ParseName(tt.file, las)
			if err != nil {
				t.Fatal(err)
			}
			var mailbox Code
			if tt.mailbox != "" {
				if mailbox, err = ParseCode(tt.mailbox, las); err != nil {
					t.Fatal(err)
				}
			}
			err = CheckSender(n, mailbox, tt.role)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckSender: %v, want nil", err)
			case tt.want != "" && err == nil:
				t.Errorf("CheckSender = nil, want %q", tt.want)
			case tt.want != "":
				var se *SenderError
				if !errors.As(err, &se) {
					t.Fatalf("error %T is not a *SenderError", err)
				}
				if err.Error() != tt.want {
					t.Errorf("error\n got %q\nwant %q", err, tt.want)
				}
			}
		})
	}
}

func TestRoles(t *testing.T) {
	want := map[Role]Kind{
		RoleSchool: KindSchool, RoleLAUser: KindLA, RoleLASchool: KindLA, RoleLALostPupil: KindLA,
		RoleLALostPupilTransfer: KindLA, RoleLADBA: KindLA, RoleLADBAView: KindLA,
		RoleLAPlasc: KindLAPlasc, RoleLAAdmissions: KindLAAdmissions, RoleAdmin: "",
	}
	if len(Roles()) != len(want) {
		t.Fatalf("Roles() has %d roles, want %d", len(Roles()), len(want))
	}
	for _, r := range Roles() {
		if got := r.MailboxKind(); got != want[r] {
			t.Errorf("%s.MailboxKind() = %q, want %q", r, got, want[r])
		}
		parsed, err := ParseRole(string(r))
		if err != nil || parsed != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, parsed, err)
		}
	}
	if r, err := ParseRole("LA-DBA"); err != nil || r != RoleLADBA {
		t.Errorf("ParseRole(LA-DBA) = %q, %v; want la-dba", r, err)
	}
	_, err := ParseRole("teacher")
	wantErr := `unknown role "teacher": use one of school, la-user, la-school, la-lost-pupil, la-lost-pupil-transfer, la-dba, la-dba-view, la-plasc, la-admissions, admin`
	if err == nil || err.Error() != wantErr {
		t.Errorf("ParseRole(teacher) error = %v, want %s", err, wantErr)
	}
}

func TestRoleMaySend(t *testing.T) {
	types := []FileType{TypeCTF, TypeCML, TypeCMJ, TypeGeneric}
	want := map[Role]string{ // which of CTF, CML, CMJ, generic
		RoleSchool: "1111", RoleLAUser: "1001", RoleLASchool: "1001", RoleLADBA: "1001",
		RoleLALostPupil: "0001", RoleLALostPupilTransfer: "1001", RoleLADBAView: "0000",
		RoleLAPlasc: "1001", RoleLAAdmissions: "1001", RoleAdmin: "1111",
	}
	for _, r := range Roles() {
		got := ""
		for _, typ := range types {
			if r.MaySend(typ) {
				got += "1"
			} else {
				got += "0"
			}
		}
		if got != want[r] {
			t.Errorf("%s may send %s (CTF, CML, CMJ, generic), want %s", r, got, want[r])
		}
	}
}
