package reportstest

import "strings"

// CSV makes a report file of lines written with \n: a UTF-8 byte-order
// mark, then the lines with CRLF ends.
func CSV(lines string) string {
	return "\ufeff" + strings.ReplaceAll(strings.TrimPrefix(lines, "\n"), "\n", "\r\n")
}

// The reports at Now (20 May 2026) for the current academic year,
// 2025-09-01 to 2026-08-31, worked out by hand from Build's script:
// transfer 1 (July 2025) is in the year before. Times are UK times: BST
// (UTC+1) until 26 October 2025 and from 29 March 2026, GMT between.

// LA823 is what any LA role of Central Beds (823LLLL, 823PLAS) reads:
// its schools 8231234 and 8232345 and its own mailboxes.
var LA823 = map[string]string{
	"sent": CSV(`
id,uploaded,file,kind,from,from_name,to,to_name,addressed_to,size,pupils,state,state_changed,collected
2,2025-10-06 10:30,8231234_CTF_6602001_002.XML,ctf,8231234,Ampthill,6602001,"Ysgol Môn, Amlwch",,4000,3,collected,2025-10-07 14:15,2025-10-07 14:15
3,2025-11-03 14:00,8232345_CTF_8231234_001.XML,ctf,8232345,Biggleswade,8231234,Ampthill,,3000,2,rejected,2025-11-04 09:00,
5,2025-12-01 10:00,8231234_CTF_XXXXXXX_003.XML,ctf,8231234,Ampthill,XXXXXXX,Lost Pupil Database: destination unknown,,2000,1,awaiting,2025-12-01 10:00,
6,2025-12-02 10:00,8232345_CTF_MMMMMMM_002.XML,ctf,8232345,Biggleswade,MMMMMMM,Lost Pupil Database: left the maintained sector,,2000,1,awaiting,2025-12-02 10:00,
7,2026-01-20 10:00,8231234_823LLLL_NOTES.ZIP,generic,8231234,Ampthill,823LLLL,Central Beds,,174,0,collected,2026-01-21 09:00,2026-01-21 09:00
8,2026-02-03 10:00,8231234_CTF_8251000_005.XML,ctf,8231234,Ampthill,8251001,New Academy,8251000,3000,2,awaiting,2026-02-03 10:00,
10,2026-04-14 10:00,823LLLL_CTF_8231234_001.XML,ctf,823LLLL,Central Beds,8231234,Ampthill,,2000,1,collected,2026-04-15 09:00,2026-04-15 09:00
`),
	"received": CSV(`
id,uploaded,file,kind,from,from_name,to,to_name,addressed_to,size,pupils,state,state_changed,collected
3,2025-11-03 14:00,8232345_CTF_8231234_001.XML,ctf,8232345,Biggleswade,8231234,Ampthill,,3000,2,rejected,2025-11-04 09:00,
4,2025-11-10 11:00,6602001_CTF_8232345_001.XML,ctf,6602001,"Ysgol Môn, Amlwch",8232345,Biggleswade,,2000,1,awaiting,2025-11-10 11:00,
7,2026-01-20 10:00,8231234_823LLLL_NOTES.ZIP,generic,8231234,Ampthill,823LLLL,Central Beds,,174,0,collected,2026-01-21 09:00,2026-01-21 09:00
10,2026-04-14 10:00,823LLLL_CTF_8231234_001.XML,ctf,823LLLL,Central Beds,8231234,Ampthill,,2000,1,collected,2026-04-15 09:00,2026-04-15 09:00
`),
	// CTFs only: Ampthill sent 2, 5 and 8 (3+1+2 pupils) and received 3
	// (rejected) and 10 (collected); Biggleswade sent 3 and 6 and has 4
	// waiting; the LA sent 10.
	"usage": CSV(`
code,name,kind,status,ctfs_uploaded,pupils_uploaded,ctfs_received,pupils_received,downloaded,awaiting,rejected,withdrawn,expired
8231234,Ampthill,school,open,3,6,2,3,1,0,1,0,0
8232345,Biggleswade,school,open,2,3,1,1,0,1,0,0,0
823LLLL,Central Beds,la,open,1,1,0,0,0,0,0,0,0
823PLAS,Central Beds Census,la-plasc,open,0,0,0,0,0,0,0,0,0
`),
	"schools": CSV(`
id,uploaded,file,kind,from,from_name,to,to_name,state,state_changed
2,2025-10-06 10:30,8231234_CTF_6602001_002.XML,ctf,8231234,Ampthill,6602001,"Ysgol Môn, Amlwch",collected,2025-10-07 14:15
3,2025-11-03 14:00,8232345_CTF_8231234_001.XML,ctf,8232345,Biggleswade,8231234,Ampthill,rejected,2025-11-04 09:00
4,2025-11-10 11:00,6602001_CTF_8232345_001.XML,ctf,6602001,"Ysgol Môn, Amlwch",8232345,Biggleswade,awaiting,2025-11-10 11:00
5,2025-12-01 10:00,8231234_CTF_XXXXXXX_003.XML,ctf,8231234,Ampthill,XXXXXXX,Lost Pupil Database: destination unknown,awaiting,2025-12-01 10:00
6,2025-12-02 10:00,8232345_CTF_MMMMMMM_002.XML,ctf,8232345,Biggleswade,MMMMMMM,Lost Pupil Database: left the maintained sector,awaiting,2025-12-02 10:00
7,2026-01-20 10:00,8231234_823LLLL_NOTES.ZIP,generic,8231234,Ampthill,823LLLL,Central Beds,collected,2026-01-21 09:00
8,2026-02-03 10:00,8231234_CTF_8251000_005.XML,ctf,8231234,Ampthill,8251001,New Academy,awaiting,2026-02-03 10:00
10,2026-04-14 10:00,823LLLL_CTF_8231234_001.XML,ctf,823LLLL,Central Beds,8231234,Ampthill,collected,2026-04-15 09:00
`),
	// CTFs between LAs: 2 (823→660), 3 and 10 (823→823), 4 (660→823),
	// 8 (823→825); the Lost Pupil Database files and the zip are not.
	"cluster": CSV(`
from_la,from_la_name,to_la,to_la_name,ctfs,pupils,collected,awaiting
660,Anglesey,823,Central Beds,1,1,0,1
823,Central Beds,660,Anglesey,1,3,1,0
823,Central Beds,823,Central Beds,2,3,1,0
823,Central Beds,825,Bucks,1,2,0,1
`),
	// Within: 3 (rejected), 7 and 10 (collected); incoming: 4; outgoing:
	// 2 (collected) and 8 (awaiting).
	"monitor": CSV(`
la,la_name,direction,files,pupils,collected,awaiting,rejected,withdrawn,expired
823,Central Beds,within,3,3,2,0,1,0,0
823,Central Beds,incoming,1,1,0,1,0,0,0
823,Central Beds,outgoing,2,5,1,1,0,0,0
`),
	// Quillfeather was 10 when uploaded and was claimed since (by 660);
	// Ashcroft was 16.
	"lost-numbers": CSV(`
la,age,gender,uploaded,missing,left_sector,since_claimed,claimed_by_la
823,10,M,1,1,0,1,0
823,16,F,1,0,1,0,0
`),
	"lost-details": CSV(`
record,uploaded,la,school,school_name,destination,meaning,upn,surname,forename,dob,gender,state,claimed_by,claimed_on
1,2025-12-01,823,8231234,Ampthill,XXXXXXX,missing,N823123400000,Quillfeather,Pupil0,2015-01-10,M,claimed,660,2026-01-15
2,2025-12-02,823,8232345,Biggleswade,MMMMMMM,left the maintained sector,R823234500000,Ashcroft,Pupil0,2009-11-02,F,lost,,
`),
	// Born 2009-11-02: 16 in the school year 2025/26, whose last Friday
	// of June is 2026-06-26, 37 days after 20 May.
	"leaving-age": CSV(`
record,uploaded,la,school,school_name,destination,upn,surname,forename,dob,gender,school_age_ends,days_left
2,2025-12-02,823,8232345,Biggleswade,MMMMMMM,R823234500000,Ashcroft,Pupil0,2009-11-02,F,2026-06-26,37
`),
	"generic": CSV(`
id,uploaded,file,kind,from,from_name,to,to_name,size,state,first_downloaded,last_downloaded,downloads
7,2026-01-20 10:00,8231234_823LLLL_NOTES.ZIP,generic,8231234,Ampthill,823LLLL,Central Beds,174,collected,2026-01-21 09:00,2026-02-01 09:30,2
`),
	"messages": CSV(`
la,la_name,code,name,received,read,unread,oldest_unread
823,Central Beds,8231234,Ampthill,2,2,0,
823,Central Beds,8232345,Biggleswade,1,0,1,2026-03-10 10:00
`),
	"quality": CSV(`
uploaded,file,from,from_name,to,to_name,outcome,finding
2025-11-03 14:00,8232345_CTF_8231234_001.XML,8232345,Biggleswade,8231234,Ampthill,accepted,pupils 1 and 2: the address has no postcode
2025-11-03 14:00,8232345_CTF_8231234_001.XML,8232345,Biggleswade,8231234,Ampthill,accepted,pupil 2: Surname has double spaces
2026-02-02 10:00,8231234_CTF_8232345_004.XML,8231234,Ampthill,,,rejected,pupil 1: Surname is missing
`),
}

// Ampthill is what the school 8231234 reads: its own files only.
var Ampthill = map[string]string{
	"sent": CSV(`
id,uploaded,file,kind,from,from_name,to,to_name,addressed_to,size,pupils,state,state_changed,collected
2,2025-10-06 10:30,8231234_CTF_6602001_002.XML,ctf,8231234,Ampthill,6602001,"Ysgol Môn, Amlwch",,4000,3,collected,2025-10-07 14:15,2025-10-07 14:15
5,2025-12-01 10:00,8231234_CTF_XXXXXXX_003.XML,ctf,8231234,Ampthill,XXXXXXX,Lost Pupil Database: destination unknown,,2000,1,awaiting,2025-12-01 10:00,
7,2026-01-20 10:00,8231234_823LLLL_NOTES.ZIP,generic,8231234,Ampthill,823LLLL,Central Beds,,174,0,collected,2026-01-21 09:00,2026-01-21 09:00
8,2026-02-03 10:00,8231234_CTF_8251000_005.XML,ctf,8231234,Ampthill,8251001,New Academy,8251000,3000,2,awaiting,2026-02-03 10:00,
`),
	"received": CSV(`
id,uploaded,file,kind,from,from_name,to,to_name,addressed_to,size,pupils,state,state_changed,collected
3,2025-11-03 14:00,8232345_CTF_8231234_001.XML,ctf,8232345,Biggleswade,8231234,Ampthill,,3000,2,rejected,2025-11-04 09:00,
10,2026-04-14 10:00,823LLLL_CTF_8231234_001.XML,ctf,823LLLL,Central Beds,8231234,Ampthill,,2000,1,collected,2026-04-15 09:00,2026-04-15 09:00
`),
	"generic": LA823["generic"],
	// Biggleswade's warnings are not Ampthill's.
	"quality": CSV(`
uploaded,file,from,from_name,to,to_name,outcome,finding
2026-02-02 10:00,8231234_CTF_8232345_004.XML,8231234,Ampthill,,,rejected,pupil 1: Surname is missing
`),
}

// Anglesey is what Anglesey's LA roles read of the reports where it
// differs from Central Beds: it claimed Quillfeather.
var Anglesey = map[string]string{
	"messages": CSV(`
la,la_name,code,name,received,read,unread,oldest_unread
660,Anglesey,660LLLL,Anglesey,1,0,1,2026-03-13 10:00
`),
	"sent": CSV(`
id,uploaded,file,kind,from,from_name,to,to_name,addressed_to,size,pupils,state,state_changed,collected
4,2025-11-10 11:00,6602001_CTF_8232345_001.XML,ctf,6602001,"Ysgol Môn, Amlwch",8232345,Biggleswade,,2000,1,awaiting,2025-11-10 11:00,
9,2026-03-02 10:00,6602001_CTF_XXXXXXX_002.XML,ctf,6602001,"Ysgol Môn, Amlwch",XXXXXXX,Lost Pupil Database: destination unknown,,2000,1,awaiting,2026-03-02 10:00,
`),
	"usage": CSV(`
code,name,kind,status,ctfs_uploaded,pupils_uploaded,ctfs_received,pupils_received,downloaded,awaiting,rejected,withdrawn,expired
6602001,"Ysgol Môn, Amlwch",school,open,2,2,1,3,1,0,0,0,0
660LLLL,Anglesey,la,open,0,0,0,0,0,0,0,0,0
`),
	"cluster": CSV(`
from_la,from_la_name,to_la,to_la_name,ctfs,pupils,collected,awaiting
660,Anglesey,823,Central Beds,1,1,0,1
823,Central Beds,660,Anglesey,1,3,1,0
`),
	"monitor": CSV(`
la,la_name,direction,files,pupils,collected,awaiting,rejected,withdrawn,expired
660,Anglesey,within,0,0,0,0,0,0,0
660,Anglesey,incoming,1,3,1,0,0,0,0
660,Anglesey,outgoing,1,1,0,1,0,0,0
`),
	"lost-numbers": CSV(`
la,age,gender,uploaded,missing,left_sector,since_claimed,claimed_by_la
660,10,M,0,0,0,0,1
660,11,M,1,1,0,0,0
`),
	"lost-details": CSV(`
record,uploaded,la,school,school_name,destination,meaning,upn,surname,forename,dob,gender,state,claimed_by,claimed_on
1,2025-12-01,823,8231234,Ampthill,XXXXXXX,missing,N823123400000,Quillfeather,Pupil0,2015-01-10,M,claimed,660,2026-01-15
3,2026-03-02,660,6602001,"Ysgol Môn, Amlwch",XXXXXXX,missing,C660200100000,Pritchard,Pupil0,2015-01-10,M,lost,,
`),
	"leaving-age": CSV(`
record,uploaded,la,school,school_name,destination,upn,surname,forename,dob,gender,school_age_ends,days_left
`),
	"generic": CSV(`
id,uploaded,file,kind,from,from_name,to,to_name,size,state,first_downloaded,last_downloaded,downloads
`),
}

// Admin is what an admin reads where it differs from Central Beds: every
// mailbox and every LA.
var Admin = map[string]string{
	"messages": CSV(`
la,la_name,code,name,received,read,unread,oldest_unread
660,Anglesey,660LLLL,Anglesey,1,0,1,2026-03-13 10:00
823,Central Beds,8231234,Ampthill,2,2,0,
823,Central Beds,8232345,Biggleswade,1,0,1,2026-03-10 10:00
`),
	"sent": CSV(`
id,uploaded,file,kind,from,from_name,to,to_name,addressed_to,size,pupils,state,state_changed,collected
2,2025-10-06 10:30,8231234_CTF_6602001_002.XML,ctf,8231234,Ampthill,6602001,"Ysgol Môn, Amlwch",,4000,3,collected,2025-10-07 14:15,2025-10-07 14:15
3,2025-11-03 14:00,8232345_CTF_8231234_001.XML,ctf,8232345,Biggleswade,8231234,Ampthill,,3000,2,rejected,2025-11-04 09:00,
4,2025-11-10 11:00,6602001_CTF_8232345_001.XML,ctf,6602001,"Ysgol Môn, Amlwch",8232345,Biggleswade,,2000,1,awaiting,2025-11-10 11:00,
5,2025-12-01 10:00,8231234_CTF_XXXXXXX_003.XML,ctf,8231234,Ampthill,XXXXXXX,Lost Pupil Database: destination unknown,,2000,1,awaiting,2025-12-01 10:00,
6,2025-12-02 10:00,8232345_CTF_MMMMMMM_002.XML,ctf,8232345,Biggleswade,MMMMMMM,Lost Pupil Database: left the maintained sector,,2000,1,awaiting,2025-12-02 10:00,
7,2026-01-20 10:00,8231234_823LLLL_NOTES.ZIP,generic,8231234,Ampthill,823LLLL,Central Beds,,174,0,collected,2026-01-21 09:00,2026-01-21 09:00
8,2026-02-03 10:00,8231234_CTF_8251000_005.XML,ctf,8231234,Ampthill,8251001,New Academy,8251000,3000,2,awaiting,2026-02-03 10:00,
9,2026-03-02 10:00,6602001_CTF_XXXXXXX_002.XML,ctf,6602001,"Ysgol Môn, Amlwch",XXXXXXX,Lost Pupil Database: destination unknown,,2000,1,awaiting,2026-03-02 10:00,
10,2026-04-14 10:00,823LLLL_CTF_8231234_001.XML,ctf,823LLLL,Central Beds,8231234,Ampthill,,2000,1,collected,2026-04-15 09:00,2026-04-15 09:00
`),
	// The closed Old Academy sent and received nothing: its file went to
	// New Academy.
	"usage": CSV(`
code,name,kind,status,ctfs_uploaded,pupils_uploaded,ctfs_received,pupils_received,downloaded,awaiting,rejected,withdrawn,expired
6602001,"Ysgol Môn, Amlwch",school,open,2,2,1,3,1,0,0,0,0
660LLLL,Anglesey,la,open,0,0,0,0,0,0,0,0,0
8231234,Ampthill,school,open,3,6,2,3,1,0,1,0,0
8232345,Biggleswade,school,open,2,3,1,1,0,1,0,0,0
823LLLL,Central Beds,la,open,1,1,0,0,0,0,0,0,0
823PLAS,Central Beds Census,la-plasc,open,0,0,0,0,0,0,0,0,0
8251000,Old Academy,school,closed,0,0,0,0,0,0,0,0,0
8251001,New Academy,school,open,0,0,1,2,0,1,0,0,0
825LLLL,Bucks,la,open,0,0,0,0,0,0,0,0,0
`),
	"monitor": CSV(`
la,la_name,direction,files,pupils,collected,awaiting,rejected,withdrawn,expired
660,Anglesey,within,0,0,0,0,0,0,0
660,Anglesey,incoming,1,3,1,0,0,0,0
660,Anglesey,outgoing,1,1,0,1,0,0,0
823,Central Beds,within,3,3,2,0,1,0,0
823,Central Beds,incoming,1,1,0,1,0,0,0
823,Central Beds,outgoing,2,5,1,1,0,0,0
825,Bucks,within,0,0,0,0,0,0,0
825,Bucks,incoming,1,2,0,1,0,0,0
825,Bucks,outgoing,0,0,0,0,0,0,0
`),
	"lost-numbers": CSV(`
la,age,gender,uploaded,missing,left_sector,since_claimed,claimed_by_la
660,10,M,0,0,0,0,1
660,11,M,1,1,0,0,0
823,10,M,1,1,0,1,0
823,16,F,1,0,1,0,0
`),
	"lost-details": CSV(`
record,uploaded,la,school,school_name,destination,meaning,upn,surname,forename,dob,gender,state,claimed_by,claimed_on
1,2025-12-01,823,8231234,Ampthill,XXXXXXX,missing,N823123400000,Quillfeather,Pupil0,2015-01-10,M,claimed,660,2026-01-15
2,2025-12-02,823,8232345,Biggleswade,MMMMMMM,left the maintained sector,R823234500000,Ashcroft,Pupil0,2009-11-02,F,lost,,
3,2026-03-02,660,6602001,"Ysgol Môn, Amlwch",XXXXXXX,missing,C660200100000,Pritchard,Pupil0,2015-01-10,M,lost,,
`),
}

// AmpthillSentJulyToOctober is Ampthill's sent.csv for the range
// 2025-07-01_2025-10-31, which reaches into the year before.
var AmpthillSentJulyToOctober = CSV(`
id,uploaded,file,kind,from,from_name,to,to_name,addressed_to,size,pupils,state,state_changed,collected
1,2025-07-10 10:00,8231234_CTF_8232345_001.XML,ctf,8231234,Ampthill,8232345,Biggleswade,,2000,1,collected,2025-07-11 09:00,2025-07-11 09:00
2,2025-10-06 10:30,8231234_CTF_6602001_002.XML,ctf,8231234,Ampthill,6602001,"Ysgol Môn, Amlwch",,4000,3,collected,2025-10-07 14:15,2025-10-07 14:15
`)
