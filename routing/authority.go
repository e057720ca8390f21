package routing

import "fmt"

// SenderError says why a sender may not send a validly named file. Its
// text is meant for the sender.
type SenderError struct {
	Reason string
}

func (e *SenderError) Error() string { return e.Reason }

func senderErr(format string, args ...any) error {
	return &SenderError{Reason: fmt.Sprintf(format, args...)}
}

// CheckSender checks that a user with role, logged in to senderMailbox, may
// send the file named n (SPEC section 4, "Every file must meet these"). The
// name's source must be the sender's own mailbox, except for an admin, who
// may send for any mailbox under the rules of that mailbox's kind. Whether
// the destination is open is the router's business, not this check's. The
// error is a *SenderError.
func CheckSender(n Name, senderMailbox Code, role Role) error {
	if role == RoleAdmin {
		role = roleFor(n.Source.Kind)
	} else {
		kind := role.MailboxKind()
		if kind == "" {
			return senderErr("your account has the unknown role %q: ask your administrator to correct your account", role)
		}
		if kind != senderMailbox.Kind {
			return senderErr("your account's role %s does not belong in mailbox %s: ask your administrator to correct your account", role, senderMailbox)
		}
		if n.Source.Value != senderMailbox.Value {
			own := "code (" + senderMailbox.Value + ")"
			if senderMailbox.Kind == KindSchool {
				own = "DfE number"
			}
			return senderErr("the file name's source %s is not your mailbox %s: name files you send with your own %s first",
				n.Source, senderMailbox, own)
		}
	}
	if !role.MaySend(n.Type) {
		return refuseType(role, n.Type)
	}
	if n.Type == TypeCML || n.Type == TypeCMJ {
		if n.Dest.LA != n.Source.LA {
			return senderErr("a %s file goes to your own LA: the destination %s is not in LA %s; use %s",
				n.Type, n.Dest, n.Source.LA, LACode(n.Source.LA))
		}
	}
	return nil
}

// refuseType explains why role may not send files of type t.
func refuseType(role Role, t FileType) error {
	switch {
	case role == RoleLADBAView:
		return senderErr("your role %s may not send files", role)
	case role == RoleLALostPupil && t == TypeCTF:
		return senderErr("your role %s may send generic zip files only: a CTF is sent by a user with the role %s",
			role, RoleLALostPupilTransfer)
	case t == TypeCML || t == TypeCMJ:
		return senderErr("your role %s may not send %s files: schools send them to their LA", role, t)
	case t == TypeGeneric:
		return senderErr("your role %s may not send generic zip files", role)
	}
	return senderErr("your role %s may not send %s files", role, t)
}
