"""Replays FileZilla's (PuTTY's SFTP code's) uploads at the packet level.

FileZilla writes straight to the final name with OPEN WRITE|CREATE|TRUNC.
When the connection breaks it reconnects, looks the file up with STAT and,
to resume, opens it again without TRUNC and writes from the start when the
server has nothing.

Arguments: host, port, user, password, name, file, phase:
  "drop":   open NAME WRITE|CREATE|TRUNC, write half, then drop the TCP
            connection without CLOSE (transport.close()).
  "resume": a new connection: STAT NAME, OPEN WRITE|CREATE (no TRUNC),
            write the whole file, CLOSE, STAT NAME.
"""

from e2elib import args, attrs, login, raw_close, raw_open, read_file, step, write_chunks

a = args()
data = read_file(a["file"])
target = "/outbox/" + a["name"]

t, sftp = login(a)
if a["phase"] == "drop":
    h = step("open_trunc", raw_open, sftp, target, "WRITE|CREATE|TRUNC")
    step("write_half", write_chunks, sftp, h, data, 0, len(data) // 2)
    step("stat_during", lambda: attrs(sftp.stat(target)))
    t.close()  # no CLOSE of the handle, no channel close: the link just goes
elif a["phase"] == "resume":
    step("stat_before", lambda: attrs(sftp.stat(target)))
    h = step("open_resume", raw_open, sftp, target, "WRITE|CREATE")
    step("write_all", write_chunks, sftp, h, data)
    step("close", raw_close, sftp, h)
    step("stat_after", lambda: attrs(sftp.stat(target)))
    sftp.close()
    t.close()
else:
    raise SystemExit("unknown phase " + a["phase"])
