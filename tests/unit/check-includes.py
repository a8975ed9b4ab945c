#!/usr/bin/env python3
"""Every #include "…" between modules is one docs/architecture.md allows.

Reads the module table of docs/architecture.md (module | folder | job | may include), maps each
source file to its module by its folder or file name, and prints a TAP line per module."""
import os
import re
import sys

root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("NC_SOURCE_ROOT", ".")

# Which module owns a path, most specific first (files before folders).
OWNERS = [
    ("reconcile/names.", "names"),
    ("reconcile/plan.", "plan"),
    ("reconcile/actual.h", "plan"),
    ("reconcile/actual-state.c", "plan"),
    ("reconcile/compose/", "compose"),
    ("reconcile/runtime/", "runtime"),
    ("reconcile/render/", "render"),
    ("reconcile/", "reconcile"),
    ("netfilter/", "netfilter"),
    ("healthd/", "healthd"),
    ("lib/", "lib"),
    ("cmd/", "cmd"),
    ("tests/", "tests"),
]


def owner(path):
    for prefix, mod in OWNERS:
        if path.startswith(prefix):
            return mod
    return None


def allowed_table():
    text = open(os.path.join(root, "docs/architecture.md")).read()
    allowed = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("module", "") or set(cells[0]) <= set("-"):
            continue
        deps = cells[3]
        allowed[cells[0]] = None if deps == "every module" else {d.strip() for d in deps.split(",")}
    return allowed


def main():
    allowed = allowed_table()
    mods = [m for _, m in OWNERS]
    violations = {m: [] for m in allowed}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if not d.startswith((".", "build")) and d != "data"]
        for f in filenames:
            if not f.endswith((".c", ".h")):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, f))
            src = owner(rel)
            if src is None:
                continue
            if src not in allowed:
                print(f"not ok - {rel}: module {src} is not in docs/architecture.md")
                return 1
            for n, line in enumerate(open(os.path.join(root, rel), errors="replace"), 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                dst = owner(m.group(1))
                if dst is None or allowed[src] is None or dst in allowed[src]:
                    continue
                if dst != src and m.group(1).endswith("-internal.h"):
                    violations[src].append(f"{rel}:{n}: includes another module's {m.group(1)}")
                violations[src].append(f"{rel}:{n}: {src} includes {m.group(1)} ({dst})")
    print(f"1..{len(allowed)}")
    failed = 0
    for i, m in enumerate(allowed, 1):
        if violations[m]:
            failed += 1
            print(f"not ok {i} - {m}")
            for v in violations[m]:
                print(f"# {v}")
        else:
            print(f"ok {i} - {m}")
    return 1 if failed else 0


sys.exit(main())
