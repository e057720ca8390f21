"""Replays WinSCP's default upload of one file at the SFTP packet level.

WinSCP (defaults: "transfer to temporary file name", preserve timestamp,
and permissions when asked) does, for /outbox/NAME:

  STAT NAME                              -> no such file
  OPEN NAME.filepart WRITE|CREATE|EXCL
  WRITE ... in 32 KiB chunks
  CLOSE
  STAT NAME                              -> no such file
  REMOVE NAME                            -> no such file
  RENAME NAME.filepart NAME
  SETSTAT NAME times, SETSTAT NAME permissions 0644
  READDIR /outbox

Between CLOSE and RENAME a second session of the same mailbox lists
/outbox, and the script pauses ("before_rename") so that the Go test can
look at the disk; it pauses again ("sent") so that the test can wait for
the file to be routed. Then, as WinSCP does when the user confirms the
overwrite of a leftover temporary file, it opens NAME2.filepart with EXCL
(refused: it exists) and again with TRUNC, and uploads file2 through it.
Last it tries to send NAME again.

Arguments: host, port, user, password, name, file, name2, file2.
"""

import time

from e2elib import (
    args,
    attrs,
    listing,
    login,
    pause,
    raw_close,
    raw_open,
    raw_write,
    read_file,
    statvfs,
    step,
    write_chunks,
)

a = args()
data = read_file(a["file"])
target = "/outbox/" + a["name"]
part = target + ".filepart"

t, sftp = login(a)
step("stat_target", lambda: attrs(sftp.stat(target)))
h = step("open_filepart", raw_open, sftp, part, "WRITE|CREATE|EXCL")
step("write", write_chunks, sftp, h, data)
step("close", raw_close, sftp, h)

# A second session of the same mailbox, before the rename.
t2, peer = login(a)
step("peer_list", listing, peer, "/outbox")
step("peer_stat_target", lambda: attrs(peer.stat(target)))
step("peer_stat_part", lambda: attrs(peer.stat(part)))
pause("before_rename")

step("stat_target_again", lambda: attrs(sftp.stat(target)))
step("remove_target", sftp.remove, target)
step("rename", sftp.rename, part, target)
now = int(time.time())
step("utime", sftp.utime, target, (now - 3600, now - 3600))
step("chmod", sftp.chmod, target, 0o644)
step("stat_final", lambda: attrs(sftp.stat(target)))
step("list", listing, sftp, "/outbox")
step("statvfs", statvfs, sftp, "/outbox")
step("peer_list_after", listing, peer, "/outbox")
pause("sent")

# Overwrite of a leftover temporary file: EXCL first, TRUNC after the
# user's "overwrite?" prompt.
data2 = read_file(a["file2"])
target2 = "/outbox/" + a["name2"]
part2 = target2 + ".filepart"
h = step("open2_first", raw_open, sftp, part2, "WRITE|CREATE|EXCL")
step("write2_first", raw_write, sftp, h, 0, b"left over from an upload that stopped " * 100)
step("close2_first", raw_close, sftp, h)
step("open2_excl", raw_open, sftp, part2, "WRITE|CREATE|EXCL")
h = step("open2_trunc", raw_open, sftp, part2, "WRITE|CREATE|TRUNC")
step("write2", write_chunks, sftp, h, data2)
step("close2", raw_close, sftp, h)
step("rename2", sftp.rename, part2, target2)
step("stat2", lambda: attrs(sftp.stat(target2)))

# Sending the same name again, the WinSCP way.
h = step("resend_open", raw_open, sftp, part, "WRITE|CREATE|EXCL")
if h is not None:
    step("resend_write", write_chunks, sftp, h, data)
    step("resend_close", raw_close, sftp, h)
    step("resend_rename", sftp.rename, part, target)

sftp.close()
peer.close()
t.close()
t2.close()
