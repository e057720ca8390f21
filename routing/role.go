package routing

import (
	"fmt"
	"strings"
)

// Role is what a user may do in its mailbox (SPEC section 2).
type Role string

// The roles.
const (
	RoleSchool              Role = "school"
	RoleLAUser              Role = "la-user"
	RoleLASchool            Role = "la-school"
	RoleLALostPupil         Role = "la-lost-pupil"
	RoleLALostPupilTransfer Role = "la-lost-pupil-transfer"
	RoleLADBA               Role = "la-dba"
	RoleLADBAView           Role = "la-dba-view"
	RoleLAPlasc             Role = "la-plasc"
	RoleLAAdmissions        Role = "la-admissions"
	RoleAdmin               Role = "admin"
)

// Roles lists every role, in display order.
func Roles() []Role {
	return []Role{
		RoleSchool, RoleLAUser, RoleLASchool, RoleLALostPupil, RoleLALostPupilTransfer,
		RoleLADBA, RoleLADBAView, RoleLAPlasc, RoleLAAdmissions, RoleAdmin,
	}
}

// ParseRole parses a role as written on the command line or in a CSV file,
// case-insensitively.
func ParseRole(s string) (Role, error) {
	names := make([]string, 0, len(Roles()))
	for _, r := range Roles() {
		if strings.EqualFold(s, string(r)) {
			return r, nil
		}
		names = append(names, string(r))
	}
	return "", fmt.Errorf("unknown role %q: use one of %s", s, strings.Join(names, ", "))
}

// MailboxKind returns the kind of mailbox a user with this role belongs
// to. An admin belongs to no mailbox: the result is "".
func (r Role) MailboxKind() Kind {
	switch r {
	case RoleSchool:
		return KindSchool
	case RoleLAUser, RoleLASchool, RoleLALostPupil, RoleLALostPupilTransfer, RoleLADBA, RoleLADBAView:
		return KindLA
	case RoleLAPlasc:
		return KindLAPlasc
	case RoleLAAdmissions:
		return KindLAAdmissions
	}
	return ""
}

// MaySend reports whether the role may send files of type t at all. Where
// they may go is CheckSender's business. An admin may send anything.
func (r Role) MaySend(t FileType) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleSchool:
		return true
	case RoleLAUser, RoleLASchool, RoleLADBA, RoleLALostPupilTransfer, RoleLAPlasc, RoleLAAdmissions:
		return t == TypeCTF || t == TypeGeneric
	case RoleLALostPupil:
		return t == TypeGeneric
	}
	return false
}

// roleFor returns the role whose rules apply when an admin sends for a
// mailbox of kind k.
func roleFor(k Kind) Role {
	switch k {
	case KindSchool:
		return RoleSchool
	case KindLA:
		return RoleLAUser
	case KindLAPlasc:
		return RoleLAPlasc
	case KindLAAdmissions:
		return RoleLAAdmissions
	}
	return ""
}
