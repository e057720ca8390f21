package routing

import (
	"fmt"
	"io"
)

// Pupil is what ReadCTF takes from one CTFpupilData/Pupil: the fields
// the rules check and the Lost Pupil Database indexes. Values are as
// written in the file, untrimmed.
//
// A Pupil is personal data. It formats as a fixed placeholder with every
// fmt verb, so that it cannot reach a log line by accident.
type Pupil struct {
	UPN           string
	FormerUPN     string
	Surname       string
	FormerSurname string
	Forename      string
	MiddleNames   string
	DOB           string // YYYY-MM-DD
	Gender        string // CTF versions before 24
	Sex           string // CTF version 24 on
	Postcode      string
	Town          string
}

// String returns a placeholder, never the pupil's data.
func (Pupil) String() string { return "Pupil{redacted}" }

// GoString returns a placeholder, never the pupil's data.
func (p Pupil) GoString() string { return p.String() }

// Format writes a placeholder for every verb, never the pupil's data.
func (p Pupil) Format(f fmt.State, _ rune) { io.WriteString(f, p.String()) }

// field returns the Pupil field for an element's local name, or nil.
func (p *Pupil) field(name string) *string {
	switch name {
	case "UPN":
		return &p.UPN
	case "FormerUPN":
		return &p.FormerUPN
	case "Surname":
		return &p.Surname
	case "FormerSurname":
		return &p.FormerSurname
	case "Forename":
		return &p.Forename
	case "MiddleNames":
		return &p.MiddleNames
	case "DOB":
		return &p.DOB
	case "Gender":
		return &p.Gender
	case "Sex":
		return &p.Sex
	case "Postcode", "PostCode":
		return &p.Postcode
	case "Town":
		return &p.Town
	}
	return nil
}

// wanted returns the name of the field the innermost open element holds,
// or "" if ReadCTF keeps nothing of it. Pupil fields sit directly under
// Pupil or under Pupil/BasicDetails; the postcode and town anywhere under
// Pupil/Address, e.g. Address/BS7666Address/Town and Address/PostCode.
func (c *ctfReader) wanted() string {
	p := c.path
	if len(p) == 3 && p[1] == "Header" && (p[2] == "CTFversion" || p[2] == "ATFversion") {
		return "Version"
	}
	if len(p) == 4 && p[1] == "Header" && (p[2] == "SourceSchool" || p[2] == "DestSchool") &&
		(p[3] == "LEA" || p[3] == "Estab") {
		return p[2] + "/" + p[3]
	}
	if !c.inPupil || len(p) < 4 {
		return ""
	}
	rel := p[3:]
	leaf := rel[len(rel)-1]
	switch {
	case rel[0] == "Address":
		if len(rel) > 1 && (leaf == "Postcode" || leaf == "PostCode" || leaf == "Town") {
			return leaf
		}
	case len(rel) == 1, len(rel) == 2 && rel[0] == "BasicDetails":
		if leaf != "Postcode" && leaf != "PostCode" && leaf != "Town" && c.pupil.field(leaf) != nil {
			return leaf
		}
	}
	return ""
}

// store keeps the text of a wanted element. The first non-empty value of a
// field wins; a second one is noted in the warnings, except in an address,
// where it is normal.
func (c *ctfReader) store(field, v string) {
	var dst *string
	inPupil := false
	switch field {
	case "Version":
		dst = &c.info.Version
	case "SourceSchool/LEA":
		dst = &c.info.SourceLEA
	case "SourceSchool/Estab":
		dst = &c.info.SourceEstab
	case "DestSchool/LEA":
		dst = &c.info.DestLEA
	case "DestSchool/Estab":
		dst = &c.info.DestEstab
	default:
		dst, inPupil = c.pupil.field(field), true
	}
	switch {
	case v == "":
	case *dst == "":
		*dst = v
	case field == "Postcode", field == "PostCode", field == "Town": // an address has several
	default:
		where := "the Header"
		if inPupil {
			where = fmt.Sprintf("pupil %d", len(c.info.Pupils)+1)
		}
		if !c.warned[where+field] {
			c.warned[where+field] = true
			c.info.Warnings = append(c.info.Warnings, fmt.Sprintf("%s: more than one %s; the first is used", where, field))
		}
	}
}
