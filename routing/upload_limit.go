package routing

// Limits caps the size of an upload, by what it is and who sends it.
type Limits struct {
	CTFMax        int64 // a CTF, CML or CMJ file
	GenericSchool int64 // a generic zip from a school
	GenericLA     int64 // a generic zip from an LA (any of its codes)
}

// DefaultLimits returns the limits of SPEC section 4: 50 MiB for a CTF,
// 4 MiB for a generic file from a school and 10 MiB from an LA.
func DefaultLimits() Limits {
	return Limits{CTFMax: DefaultCTFMaxSize, GenericSchool: 4 << 20, GenericLA: 10 << 20}
}

// SizeLimit returns the most bytes the file named n may have when sent
// from a mailbox of kind senderKind. An admin has no mailbox: pass ""
// and the kind of the name's source is used.
func SizeLimit(n Name, senderKind Kind, limits Limits) int64 {
	if n.IsXML() {
		return limits.CTFMax
	}
	if !senderKind.HasMailbox() {
		senderKind = n.Source.Kind
	}
	if senderKind.IsLA() {
		return limits.GenericLA
	}
	return limits.GenericSchool
}
