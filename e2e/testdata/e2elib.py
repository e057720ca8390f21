"""Shared helpers for the paramiko scripts of the s2sd end-to-end tests.

Every script takes one JSON object as its only argument and reports each
step as one JSON line on stdout:

    {"step": NAME, "ok": true, "value": ...}
    {"step": NAME, "ok": false, "kind": "OSError", "errno": 2, "msg": "..."}
    {"step": NAME, "pause": true}

After a pause record the script blocks until the Go test writes a line on
its stdin, so that the test can look at the disk, or kill the daemon, in
the middle of a transfer. The Go test asserts every outcome; the scripts
only drive the client.
"""

import json
import socket
import sys
import threading
import time

import paramiko
from paramiko.py3compat import long
from paramiko.message import Message
from paramiko.sftp import (
    CMD_CLOSE,
    CMD_EXTENDED,
    CMD_HANDLE,
    CMD_OPEN,
    CMD_WRITE,
    SFTP_FLAG_APPEND,
    SFTP_FLAG_CREATE,
    SFTP_FLAG_EXCL,
    SFTP_FLAG_READ,
    SFTP_FLAG_TRUNC,
    SFTP_FLAG_WRITE,
)
from paramiko.sftp_attr import SFTPAttributes

FLAGS = {
    "READ": SFTP_FLAG_READ,
    "WRITE": SFTP_FLAG_WRITE,
    "APPEND": SFTP_FLAG_APPEND,
    "CREATE": SFTP_FLAG_CREATE,
    "TRUNC": SFTP_FLAG_TRUNC,
    "EXCL": SFTP_FLAG_EXCL,
}

CHUNK = 32 * 1024  # WinSCP's and paramiko's write size


def args():
    return json.loads(sys.argv[1])


def emit(**record):
    # Handles and other bytes are reported as latin-1 text.
    sys.stdout.write(json.dumps(record, default=lambda b: b.decode("latin-1")) + "\n")
    sys.stdout.flush()


def pause(name):
    """Reports a pause and waits for the Go test to say go on."""
    emit(step=name, pause=True)
    sys.stdin.readline()


def step(name, fn, *a, **kw):
    """Runs fn, reports its value or the error it raised, and returns the
    value (None on error)."""
    try:
        value = fn(*a, **kw)
    except Exception as e:  # every outcome is reported, none is fatal
        record = {"step": name, "ok": False, "kind": type(e).__name__}
        if isinstance(e, OSError) and e.errno is not None:
            record["errno"] = e.errno
            record["msg"] = e.strerror
        else:
            record["msg"] = str(e)
        emit(**record)
        return None
    emit(step=name, ok=True, value=value)
    return value


def flags(names):
    n = 0
    for f in names.split("|"):
        n |= FLAGS[f]
    return n


def dial(host, port, source=None):
    """Opens a TCP connection, from the source address if one is given, so
    that per-address lockouts and limits of one case do not touch
    another."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(20)
    if source:
        sock.bind((source, 0))
    sock.connect((host, port))
    return sock


def transport(a, source=None):
    """Returns a started (not yet authenticated) transport."""
    t = paramiko.Transport(dial(a["host"], a["port"], source or a.get("source")))
    t.banner_timeout = 20
    t.start_client(timeout=20)
    return t


def login(a, user=None, password=None, source=None):
    """Returns (transport, sftp client) logged in with a password."""
    t = transport(a, source)
    t.auth_password(user or a["user"], password or a["password"])
    return t, paramiko.SFTPClient.from_transport(t)


def auth_again(t, user, method, password=None, handler=None):
    """Sends a further USERAUTH_REQUEST on a transport that has had one,
    the way OpenSSH, PuTTY and WinSCP do: without the SERVICE_REQUEST that
    paramiko's auth_* methods send before every attempt. Returns what
    auth_password returns: [] on success, the methods that may follow on
    partial success; raises on failure."""
    ah = t.auth_handler
    event = threading.Event()
    accept = Message()
    accept.add_string("ssh-userauth")
    accept.rewind()
    with t.lock:
        ah.auth_event = event
        ah.auth_method = method
        ah.username = user
        ah.password = password
        ah.interactive_handler = handler
        ah.submethods = ""
        ah._parse_service_accept(accept)  # builds and sends the request
    return ah.wait_for_response(event)


def raw_open(sftp, path, flag_names):
    """Opens path with exactly the given SFTP flags; returns the handle."""
    t, msg = sftp._request(CMD_OPEN, path, flags(flag_names), SFTPAttributes())
    if t != CMD_HANDLE:
        raise IOError("expected a handle, got packet type %d" % t)
    return msg.get_binary()


def raw_write(sftp, handle, offset, data):
    sftp._request(CMD_WRITE, handle, long(offset), data)
    return len(data)


def raw_close(sftp, handle):
    sftp._request(CMD_CLOSE, handle)
    return True


def write_chunks(sftp, handle, data, start=0, end=None):
    """Writes data[start:end] in 32 KiB chunks at their offsets, one
    request at a time, as an unpipelined client does; returns the number
    of chunks written."""
    end = len(data) if end is None else end
    n = 0
    for off in range(start, end, CHUNK):
        raw_write(sftp, handle, off, data[off : min(off + CHUNK, end)])
        n += 1
    return n


def statvfs(sftp, path):
    """statvfs@openssh.com, which paramiko 2.12 has no method for."""
    _, msg = sftp._request(CMD_EXTENDED, "statvfs@openssh.com", path)
    names = ["bsize", "frsize", "blocks", "bfree", "bavail", "files",
             "ffree", "favail", "fsid", "flag", "namemax"]
    return {n: msg.get_int64() for n in names}


def attrs(a):
    """What the tests assert of an SFTPAttributes."""
    return {"size": a.st_size, "mode": a.st_mode, "mtime": a.st_mtime}


def listing(sftp, path):
    """READDIR: name -> {size, mode, longname}."""
    out = {}
    for a in sftp.listdir_attr(path):
        out[a.filename] = {"size": a.st_size, "mode": a.st_mode, "longname": a.longname}
    return out


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def winscp_put(sftp, prefix, target, data):
    """WinSCP's default upload of data to target, each request a step
    named with prefix: STAT NAME, OPEN NAME.filepart WRITE|CREATE|EXCL,
    WRITEs, CLOSE, STAT NAME, REMOVE NAME, RENAME NAME.filepart NAME,
    SETSTAT times, SETSTAT permissions 0644, STAT NAME, READDIR of its
    folder."""
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
    step(prefix + "stat_final", lambda: attrs(sftp.stat(target)))
    step(prefix + "list", listing, sftp, target.rsplit("/", 1)[0])
