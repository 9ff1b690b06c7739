#!/usr/bin/env python3
"""interactive-password: an executable rewrite plugin, in Python, to show the protocol.

Password changes (ACHG) are made interactive, so they run before batch work: a user at the
help desk is waiting for them. Reads the input document as KVGroup on stdin, writes the
output document on stdout; options arrive as JSON in TMON_PLUGIN_OPTIONS
({"operations": ["ACHG", ...]} to choose which operations). Exit 0 on success.
"""
import json
import os
import re
import sys

TOKEN = re.compile(r'\s+|#[^\r\n]*|"((?:[^"\\]|\\[\s\S])*)"|([A-Za-z0-9_\-.:/@]+)|([{}=])')
ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def tokens(text):
    pos = 0
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"unexpected character at offset {pos}")
        pos = m.end()
        if m.group(1) is not None:
            yield re.sub(r"\\([\s\S])", lambda e: ESCAPES.get(e.group(1), e.group(1)), m.group(1))
        elif m.group(2) is not None:
            yield m.group(2)
        elif m.group(3) is not None:
            yield ("punct", m.group(3))


def parse_group(toks, i):
    """A group as [type, name, members]; a pair as (key, value)."""
    typ, name = toks[i], toks[i + 1]
    assert toks[i + 2] == ("punct", "=") and toks[i + 3] == ("punct", "{")
    i += 4
    members = []
    while toks[i] != ("punct", "}"):
        if toks[i + 1] == ("punct", "="):
            members.append((toks[i], toks[i + 2]))
            i += 3
        else:
            g, i = parse_group(toks, i)
            members.append(g)
    return [typ, name, members], i + 1


def quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r") + '"'


def emit(group, indent=""):
    typ, name, members = group
    out = [f"{indent}{quote(typ)} {quote(name)} = {{"]
    for m in members:
        out.extend(emit(m, indent + "  ") if isinstance(m, list) else [f"{indent}  {quote(m[0])} = {quote(m[1])}"])
    out.append(f"{indent}}}")
    return out


def main():
    options = json.loads(os.environ.get("TMON_PLUGIN_OPTIONS") or "{}")
    operations = set(options.get("operations", ["ACHG"]))
    root, _ = parse_group(list(tokens(sys.stdin.read())), 0)
    changed = False
    for batch in (m for m in root[2] if isinstance(m, list) and m[0] == "batch"):
        for action in (m for m in batch[2] if isinstance(m, list) and m[0] == "action"):
            pairs = action[2]
            if any(p == ("operation", op) for p in pairs if isinstance(p, tuple) for op in operations):
                action[2] = [("interactive", "true") if isinstance(p, tuple) and p[0] == "interactive" else p for p in pairs]
                if ("interactive", "true") not in action[2]:
                    action[2].insert(0, ("interactive", "true"))
                changed = True
    root[2] = [("changed", "true" if changed else "false"), ("retval", "0")] + root[2]
    sys.stdout.write("\n".join(emit(root)) + "\n")


if __name__ == "__main__":
    main()
