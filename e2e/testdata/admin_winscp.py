"""Replays WinSCP's upload of an edited /admin/ file at the SFTP packet
level, as an LA's database administrator does it: the file already exists
(it is made when read), so WinSCP uploads to NAME.filepart, removes NAME
and renames the temporary file over it, then sets its times and lists the
folder. Then it uploads a users.csv whose header is wrong the same way,
which the rename refuses; and an la-dba-view user tries to upload.

  STAT NAME                              -> the file
  OPEN NAME.filepart WRITE|CREATE|EXCL, WRITE ..., CLOSE
  STAT NAME, REMOVE NAME
  RENAME NAME.filepart NAME              -> applied; NAME.result.txt appears
  SETSTAT NAME times, SETSTAT NAME permissions 0644, STAT NAME
  READDIR /admin

(e2elib.winscp_put.)

Arguments: host, port, user, password, file, bad, view_user,
view_password.
"""

from e2elib import args, listing, login, raw_open, read_file, step, winscp_put


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
