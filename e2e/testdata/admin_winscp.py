"""Replays WinSCP's upload of an edited /admin/ file at the SFTP packet
level, as an LA's database administrator does it: the file already exists
(it is made when read), so WinSCP uploads to NAME.filepart, removes NAME
and renames the temporary file over it, then sets its times and lists the
folder. Then it uploads a users.csv whose header is wrong the same way,
which the rename refuses; and an la-dba-view user tries to upload.

  STAT NAME                              -> the file
  OPEN NAME.filepart WRITE|CREATE|EXCL
  WRITE ..., CLOSE
  STAT NAME, REMOVE NAME
  RENAME NAME.filepart NAME              -> applied; NAME.result.txt appears
  SETSTAT NAME times, SETSTAT NAME permissions 0644
  READDIR /admin

Arguments: host, port, user, password, file, bad, view_user,
view_password.
"""

import time

from e2elib import (
    args,
    attrs,
    listing,
    login,
    raw_close,
    raw_open,
    read_file,
    step,
    write_chunks,
)


def winscp_put(sftp, prefix, target, data):
    part = target + ".filepart"
    step(prefix + "stat_target", lambda: attrs(sftp.stat(target)))
    h = step(prefix + "open_filepart", raw_open, sftp, part, "WRITE|CREATE|EXCL")
    if h is None:
        return
    step(prefix + "write", write_chunks, sftp, h, data)
    step(prefix + "close", raw_close, sftp, h)
    step(prefix + "stat_target_again", lambda: attrs(sftp.stat(target)))
    step(prefix + "remove_target", sftp.remove, target)
    step(prefix + "rename", sftp.rename, part, target)
    now = int(time.time())
    step(prefix + "utime", sftp.utime, target, (now - 3600, now - 3600))
    step(prefix + "chmod", sftp.chmod, target, 0o644)
    step(prefix + "list", listing, sftp, "/admin")


def read_remote(sftp, path):
    with sftp.open(path, "rb") as f:
        return f.read().decode("utf-8")


a = args()
t, sftp = login(a)
winscp_put(sftp, "", "/admin/schools.csv", read_file(a["file"]))
step("result", read_remote, sftp, "/admin/schools.result.txt")
winscp_put(sftp, "bad_", "/admin/users.csv", read_file(a["bad"]))
step("bad_result", read_remote, sftp, "/admin/users.result.txt")
step("other_name", raw_open, sftp, "/admin/notes.txt", "WRITE|CREATE|TRUNC")
step("remove_users_result", sftp.remove, "/admin/users.result.txt")
step("list_after_remove", listing, sftp, "/admin")
t.close()

t, view = login(a, a["view_user"], a["view_password"])
step("view_list", listing, view, "/admin")
step("view_read", read_remote, view, "/admin/schools.result.txt")
step("view_open", raw_open, view, "/admin/users.csv.filepart", "WRITE|CREATE|EXCL")
step("view_open_plain", raw_open, view, "/admin/users.csv", "WRITE|CREATE|TRUNC")
step("view_remove", view.remove, "/admin/schools.result.txt")
t.close()
