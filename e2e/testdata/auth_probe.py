"""Logins through paramiko, each from a chosen source address.

Arguments: host, port, mode, and per mode:
  "attempts":      attempts, a list of {name, source, user, password}: one
                   new connection each, reporting the outcome and any
                   banner the server sent.
  "temp_password": source, user, password (the temporary one), rounds (the
                   answers to each keyboard-interactive round), keyboard:
                   password auth, then the keyboard-interactive change,
                   then SFTP; with keyboard, keyboard-interactive alone.
  "max_tries":     source, user, passwords: all on one connection.
  "retry":         source, user, password, wrong, key, temp_user, temp,
                   new: what paramiko's own API does on one connection:
                   auth_password after a failed auth_password,
                   SSHClient.connect with a key the server does not know
                   and then the password, and auth_interactive after a
                   temporary password's partial success.
  "conn_limit":    source, other, user, password, hold: holds that many
                   logged-in connections, then tries one more from source
                   and one from other, then frees one.
"""

import time

import paramiko

from e2elib import args, auth_again, dial, step, transport

a = args()


def try_password(t, user, password, again=False):
    """One password attempt on t: ok, partial (with the methods that may
    follow), failed or disconnected; with the banner seen so far. A further
    attempt on the same connection goes through auth_again."""
    out = {}
    try:
        if again:
            allowed = auth_again(t, user, "password", password=password)
        else:
            allowed = t.auth_password(user, password)
        out["result"] = "partial" if allowed else "ok"
        if allowed:
            out["allowed"] = allowed
    except paramiko.AuthenticationException as e:
        out["result"] = "failed"
        out["msg"] = str(e)
    except (paramiko.SSHException, EOFError, OSError) as e:
        out["result"] = "disconnected"
        out["msg"] = str(e)
    out["banner"] = t.get_banner()
    if isinstance(out["banner"], bytes):
        out["banner"] = out["banner"].decode()
    out["active"] = t.is_active()
    return out


def attempts():
    for at in a["attempts"]:
        def one():
            t = transport(a, at["source"])
            out = try_password(t, at["user"], at["password"])
            if out["result"] == "ok":
                out["root"] = sorted(paramiko.SFTPClient.from_transport(t).listdir("/"))
            t.close()
            return out
        step(at["name"], one)


def temp_password():
    t = transport(a)
    rounds = list(a["rounds"])
    seen = []

    def handler(title, instructions, prompts):
        seen.append({"title": title, "instructions": instructions,
                     "prompts": [[p, echo] for p, echo in prompts]})
        return rounds.pop(0) if rounds else []

    if a.get("keyboard"):
        # As PuTTY, WinSCP and FileZilla log in: keyboard-interactive
        # alone, whose first round is the "Password: " prompt.
        step("change", t.auth_interactive, a["user"], handler)
    else:
        step("password", try_password, t, a["user"], a["password"])
        step("change", auth_again, t, a["user"], "keyboard-interactive", handler=handler)
    step("prompts", lambda: seen)
    step("root", lambda: sorted(paramiko.SFTPClient.from_transport(t).listdir("/")))
    t.close()


def max_tries():
    t = transport(a)
    for i, pw in enumerate(a["passwords"]):
        step("try%d" % (i + 1), try_password, t, a["user"], pw, i > 0)
    t.close()


def conn_limit():
    held = []
    for i in range(a["hold"]):
        def one():
            t = transport(a)
            t.auth_password(a["user"], a["password"])
            held.append(t)
            return sorted(paramiko.SFTPClient.from_transport(t).listdir("/"))
        step("hold%d" % (i + 1), one)

    def raw():
        # What the server sends to one connection too many: its SSH
        # version line, or nothing before it closes.
        s = dial(a["host"], a["port"], a["source"])
        got = b""
        while True:
            b = s.recv(256)
            if not b:
                break
            got += b
        s.close()
        return got.decode("latin-1")

    def other_source():
        t = transport(a, a["other"])
        t.auth_password(a["user"], a["password"])
        out = sorted(paramiko.SFTPClient.from_transport(t).listdir("/"))
        t.close()
        return out

    step("extra_raw", raw)
    step("extra_paramiko", lambda: transport(a).close())
    step("other_source", other_source)
    held.pop().close()

    def after_release():
        deadline = time.time() + 5
        while True:
            try:
                t = transport(a)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        t.auth_password(a["user"], a["password"])
        out = sorted(paramiko.SFTPClient.from_transport(t).listdir("/"))
        t.close()
        return out

    step("after_release", after_release)
    for t in held:
        t.close()


def retry():
    t = transport(a)
    step("first", try_password, t, a["user"], a["wrong"])
    step("second", try_password, t, a["user"], a["password"])
    t.close()

    def sshclient(key_filename):
        c = paramiko.SSHClient()
        c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        c.connect(a["host"], a["port"], username=a["user"], password=a["password"],
                  key_filename=key_filename, look_for_keys=False, allow_agent=False,
                  sock=dial(a["host"], a["port"], a["source"]), timeout=20)
        out = sorted(c.open_sftp().listdir("/"))
        c.close()
        return out

    step("sshclient", sshclient, None)
    step("sshclient_key_then_password", sshclient, a["key"])

    def temp_standard():
        t = transport(a)
        allowed = t.auth_password(a["temp_user"], a["temp"])
        if allowed != ["keyboard-interactive"]:
            raise Exception("auth_password with the temporary password returned %r" % allowed)
        t.auth_interactive(a["temp_user"], lambda title, instructions, prompts: [a["new"]] * len(prompts))
        out = sorted(paramiko.SFTPClient.from_transport(t).listdir("/"))
        t.close()
        return out

    step("temp_standard", temp_standard)


{"attempts": attempts, "temp_password": temp_password, "max_tries": max_tries,
 "conn_limit": conn_limit, "retry": retry}[a["mode"]]()
