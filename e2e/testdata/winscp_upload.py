"""Replays WinSCP's default upload of one file into any folder.

WinSCP (defaults: "transfer to temporary file name", preserve timestamp)
does, for DIR/NAME:

  STAT NAME                              -> no such file
  OPEN NAME.filepart WRITE|CREATE|EXCL
  WRITE ... in 32 KiB chunks
  CLOSE
  STAT NAME                              -> no such file
  REMOVE NAME                            -> no such file
  RENAME NAME.filepart NAME
  SETSTAT NAME times, SETSTAT NAME permissions 0644
  READDIR DIR

Arguments: host, port, user, password, dir, name, file.
"""

import time

from e2elib import args, attrs, listing, login, raw_close, raw_open, read_file, step, write_chunks

a = args()
data = read_file(a["file"])
target = a["dir"] + "/" + a["name"]
part = target + ".filepart"

t, sftp = login(a)
step("stat_target", lambda: attrs(sftp.stat(target)))
h = step("open_filepart", raw_open, sftp, part, "WRITE|CREATE|EXCL")
step("write", write_chunks, sftp, h, data)
step("close", raw_close, sftp, h)
step("stat_target_again", lambda: attrs(sftp.stat(target)))
step("remove_target", sftp.remove, target)
step("rename", sftp.rename, part, target)
now = int(time.time())
step("utime", sftp.utime, target, (now - 3600, now - 3600))
step("chmod", sftp.chmod, target, 0o644)
step("stat_final", lambda: attrs(sftp.stat(target)))
step("list", lambda: sorted(listing(sftp, a["dir"])))
t.close()
