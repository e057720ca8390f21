"""SFTP requests the end-to-end tests need byte for byte, through paramiko.

Arguments: host, port, user, password, mode, and per mode:
  "ops":    ops, a list of {name, op, path[, to]}: each one request, with
            paths that may hold NUL bytes and backslashes as they are.
  "excl":   name, temp: EXCL opens of a name another session is uploading,
            of a name just sent, and of a closed temporary name.
  "append": temp, plain: APPEND opens, which write at the end whatever the
            offset.
  "limit":  name, file: writes in 32 KiB chunks until the server refuses one.
  "upload": name, file: writes half of the file, pauses, writes the rest
            and closes.
  "agent":  channel requests that must fail (agent forwarding, exec, shell,
            another subsystem) with want-reply, then SFTP on a new channel.
  "winadj": path: in the middle of downloading path, sends PuTTY's
            winadj@putty.projects.tartarus.org request with want-reply on
            the SFTP channel, reports the reply, and finishes the download
            on the same channel.
"""

import hashlib
import threading

import paramiko
from paramiko.channel import Channel
from paramiko.common import MSG_CHANNEL_FAILURE, MSG_CHANNEL_SUCCESS, cMSG_CHANNEL_REQUEST
from paramiko.message import Message

from e2elib import (
    CHUNK,
    args,
    attrs,
    listing,
    login,
    pause,
    raw_close,
    raw_open,
    raw_write,
    read_file,
    step,
    write_chunks,
)

a = args()


def run_op(sftp, op):
    kind, path = op["op"], op["path"]
    if kind == "stat":
        return attrs(sftp.stat(path))
    if kind == "lstat":
        return attrs(sftp.lstat(path))
    if kind == "list":
        return sorted(sftp.listdir(path))
    if kind == "read":
        with sftp.open(path, "rb") as f:
            return f.read().decode("latin-1")
    if kind == "write":
        h = raw_open(sftp, path, "WRITE|CREATE|TRUNC")
        raw_write(sftp, h, 0, b"written by sftp_probe\n")
        return raw_close(sftp, h)
    if kind == "remove":
        return sftp.remove(path)
    if kind == "rename":
        return sftp.rename(path, op["to"])
    if kind == "posix_rename":
        return sftp.posix_rename(path, op["to"])
    if kind == "mkdir":
        return sftp.mkdir(path)
    if kind == "rmdir":
        return sftp.rmdir(path)
    if kind == "symlink":
        return sftp.symlink(op["to"], path)
    if kind == "readlink":
        return sftp.readlink(path)
    if kind == "realpath":
        return sftp.normalize(path)
    if kind == "setstat":
        return sftp.chmod(path, 0o644)
    raise ValueError("unknown op " + kind)


def ops():
    t, sftp = login(a)
    for op in a["ops"]:
        step(op["name"], run_op, sftp, op)
    t.close()


def excl():
    name, temp = "/outbox/" + a["name"], "/outbox/" + a["temp"]
    ta, sa = login(a)
    tb, sb = login(a)
    h = step("a_open", raw_open, sa, name, "WRITE|CREATE|TRUNC")
    step("a_write", raw_write, sa, h, 0, b"0123456789")
    step("b_open_excl_busy", raw_open, sb, name, "WRITE|CREATE|EXCL")
    step("b_open_trunc_busy", raw_open, sb, name, "WRITE|CREATE|TRUNC")
    step("a_close", raw_close, sa, h)
    step("b_open_excl_sent", raw_open, sb, name, "WRITE|CREATE|EXCL")
    step("b_open_trunc_sent", raw_open, sb, name, "WRITE|CREATE|TRUNC")
    h = step("b_open_temp", raw_open, sb, temp, "WRITE|CREATE|EXCL")
    step("b_write_temp", raw_write, sb, h, 0, b"abc")
    step("b_close_temp", raw_close, sb, h)
    step("b_open_temp_excl", raw_open, sb, temp, "WRITE|CREATE|EXCL")
    step("a_open_temp_excl", raw_open, sa, temp, "WRITE|CREATE|EXCL")
    ta.close()
    tb.close()


def append():
    temp, plain = "/outbox/" + a["temp"], "/outbox/" + a["plain"]
    final = temp.rsplit(".", 1)[0]
    t, sftp = login(a)
    h = step("temp_open", raw_open, sftp, temp, "WRITE|CREATE")
    step("temp_write", raw_write, sftp, h, 0, b"first half, ")
    step("temp_close", raw_close, sftp, h)
    h = step("temp_open_append", raw_open, sftp, temp, "WRITE|APPEND")
    step("temp_append", raw_write, sftp, h, 0, b"second half")
    step("temp_close_append", raw_close, sftp, h)
    step("temp_stat", lambda: attrs(sftp.stat(temp)))
    step("temp_rename", sftp.rename, temp, final)
    h = step("plain_open", raw_open, sftp, plain, "WRITE|CREATE|TRUNC|APPEND")
    step("plain_write1", raw_write, sftp, h, 500, b"abc")
    step("plain_write2", raw_write, sftp, h, 0, b"def")
    step("plain_close", raw_close, sftp, h)
    t.close()


def limit():
    data = read_file(a["file"])
    target = "/outbox/" + a["name"]
    t, sftp = login(a)
    h = step("open", raw_open, sftp, target, "WRITE|CREATE|TRUNC")
    written = 0
    for off in range(0, len(data), CHUNK):
        if step("write@%d" % off, raw_write, sftp, h, off, data[off : off + CHUNK]) is None:
            break
        written += 1
    step("written", lambda: written)
    step("close", raw_close, sftp, h)
    step("stat", lambda: attrs(sftp.stat(target)))
    step("list", listing, sftp, "/outbox")
    t.close()


def upload():
    data = read_file(a["file"])
    target = "/outbox/" + a["name"]
    t, sftp = login(a)
    h = step("open", raw_open, sftp, target, "WRITE|CREATE|TRUNC")
    half = len(data) // 2
    step("write_first_half", write_chunks, sftp, h, data, 0, half)
    pause("mid_upload")
    step("write_second_half", write_chunks, sftp, h, data, half)
    step("close", raw_close, sftp, h)
    step("stat", lambda: attrs(sftp.stat(target)))
    t.close()


def channel_request(t, kind, payload=None):
    """Sends a session channel request with want-reply and reports whether
    the server granted it. paramiko closes a channel whose request failed."""
    chan = t.open_session(timeout=10)
    m = Message()
    m.add_byte(cMSG_CHANNEL_REQUEST)
    m.add_int(chan.remote_chanid)
    m.add_string(kind)
    m.add_boolean(True)
    for p in payload or []:
        m.add_string(p)
    chan._event_pending()
    t._send_user_message(m)
    try:
        chan._wait_for_event()
    except paramiko.SSHException as e:
        return "refused: " + str(e)
    granted = not chan.closed
    chan.close()
    return "granted" if granted else "refused"


def agent():
    t, sftp = login(a)
    step("agent_forwarding", channel_request, t, "auth-agent-req@openssh.com")
    step("exec", channel_request, t, "exec", ["ls /"])
    step("shell", channel_request, t, "shell")
    step("subsystem_other", channel_request, t, "subsystem", ["netconf"])
    step("sftp_after", lambda: sorted(paramiko.SFTPClient.from_transport(t).listdir("/")))
    step("sftp_first_channel", lambda: sorted(sftp.listdir("/")))
    t.close()


def winadj():
    t, sftp = login(a)
    chan = sftp.get_channel()
    replies = []
    replied = threading.Event()

    # paramiko closes a channel whose request failed; PuTTY does not, so
    # the replies on the SFTP channel are only recorded here.
    def recorder(kind, default):
        def handle(c, m):
            if c is not chan:
                return default(c, m)
            replies.append(kind)
            replied.set()
        return handle

    table = dict(t._channel_handler_table)
    table[MSG_CHANNEL_SUCCESS] = recorder("success", Channel._request_success)
    table[MSG_CHANNEL_FAILURE] = recorder("failure", Channel._request_failed)
    t._channel_handler_table = table

    f = sftp.open(a["path"], "rb")
    first = f.read(CHUNK)
    m = Message()
    m.add_byte(cMSG_CHANNEL_REQUEST)
    m.add_int(chan.remote_chanid)
    m.add_string("winadj@putty.projects.tartarus.org")
    m.add_boolean(True)
    t._send_user_message(m)
    step("winadj", lambda: replies[0] if replied.wait(10) else "no reply within 10s")
    step("download", lambda: hashlib.sha256(first + f.read()).hexdigest())
    f.close()
    step("list", lambda: sorted(sftp.listdir("/")))
    t.close()


{"ops": ops, "excl": excl, "append": append, "limit": limit, "upload": upload, "agent": agent,
 "winadj": winadj}[a["mode"]]()
