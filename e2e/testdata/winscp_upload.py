"""Replays WinSCP's default upload of one file into any folder (see
e2elib.winscp_put for the requests).

Arguments: host, port, user, password, dir, name, file.
"""

from e2elib import args, login, read_file, winscp_put

a = args()
t, sftp = login(a)
winscp_put(sftp, "", a["dir"] + "/" + a["name"], read_file(a["file"]))
t.close()
