#!/usr/bin/env python3
"""A logfmt reader written from roost(1) (RECORDS), for the test suites.

Lines are key=value pairs separated by spaces; ts= comes first (UTC
ISO-8601, seconds), then ev=.  A value holding a space, =, " or a control
character is double-quoted with \\" \\\\ \\n \\t escapes (roost also
writes \\r and \\xHH for the other control bytes); a raw control byte
never reaches a log.

Usage:
  logfmt.py check LOG...          every line well-formed; prints the count
  logfmt.py values LOG EV KEY     KEY of every EV line, one per line
  logfmt.py add-commands LOG DIR  each file DIR/<id> holds the exact
                                  command= of that id's ev=add line
"""
import os
import re
import sys

TS = re.compile(rb"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
KEY = re.compile(rb"^[A-Za-z0-9_.-]+$")
SIMPLE = {b'"': b'"', b"\\": b"\\", b"n": b"\n", b"t": b"\t", b"r": b"\r"}


def parse(line):
    """A list of (key, value) byte pairs; ValueError when malformed."""
    out, i, n = [], 0, len(line)
    while i < n:
        if line[i:i + 1] == b" ":
            i += 1
            continue
        j = line.find(b"=", i)
        if j < 0:
            raise ValueError("no = after %r" % line[i:])
        key = line[i:j]
        if not KEY.match(key):
            raise ValueError("bad key %r" % key)
        i = j + 1
        if line[i:i + 1] == b'"':
            i += 1
            val = bytearray()
            while True:
                c = line[i:i + 1]
                if c == b"":
                    raise ValueError("unterminated quote")
                if c == b'"':
                    i += 1
                    break
                if c == b"\\":
                    e = line[i + 1:i + 2]
                    if e in SIMPLE:
                        val += SIMPLE[e]
                        i += 2
                    elif e == b"x" and re.match(rb"^[0-9a-fA-F]{2}$",
                                                 line[i + 2:i + 4]):
                        val.append(int(line[i + 2:i + 4], 16))
                        i += 4
                    else:
                        raise ValueError("bad escape \\%r" % e)
                    continue
                val += c
                i += 1
            if i < n and line[i:i + 1] != b" ":
                raise ValueError("junk after a quoted value")
        else:
            j = line.find(b" ", i)
            j = n if j < 0 else j
            val = line[i:j]
            if b'"' in val or b"=" in val:
                raise ValueError("bare value %r needed quotes" % val)
            i = j
        out.append((key.decode(), bytes(val)))
    return out


def check(path):
    """Every line of path well-formed, ts= first then ev=: the lines."""
    data = open(path, "rb").read()
    if data and not data.endswith(b"\n"):
        raise ValueError("%s: last line has no newline" % path)
    lines = []
    for no, raw in enumerate(data.split(b"\n")[:-1], 1):
        try:
            if any(b < 0x20 or b == 0x7f for b in raw):
                raise ValueError("raw control byte")
            kv = parse(raw)
            if len(kv) < 2 or kv[0][0] != "ts" or kv[1][0] != "ev":
                raise ValueError("not ts= then ev=")
            if not TS.match(kv[0][1]):
                raise ValueError("bad ts %r" % kv[0][1])
            keys = [k for k, _ in kv]
            if len(set(keys)) != len(keys):
                raise ValueError("a key given twice")
        except ValueError as e:
            raise ValueError("%s:%d: %s: %r" % (path, no, e, raw[:200]))
        lines.append(dict(kv))
    return lines


def main(argv):
    try:
        if argv[1] == "check":
            print(sum(len(check(p)) for p in argv[2:]))
        elif argv[1] == "values":
            for d in check(argv[2]):
                if d["ev"] == argv[3].encode() and argv[4] in d:
                    sys.stdout.buffer.write(d[argv[4]] + b"\n")
        elif argv[1] == "add-commands":
            got = {}
            for d in check(argv[2]):
                if d["ev"] == b"add":
                    got[d["id"].decode()] = d["command"]
            for name in sorted(os.listdir(argv[3])):
                with open(os.path.join(argv[3], name), "rb") as f:
                    want = f.read()
                if got.get(name) != want:
                    sys.exit("%s: got %r, want %r" % (name, got.get(name),
                                                      want))
            print(len(got))
        else:
            sys.exit(__doc__)
    except ValueError as e:
        sys.exit("logfmt.py: %s" % e)


if __name__ == "__main__":
    main(sys.argv)
