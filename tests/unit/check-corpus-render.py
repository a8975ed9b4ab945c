#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`nspawn-compose render` over every published compose file of the corpus (TAP).

Each file of NC_CORPUS_DIR/compose is rendered into a scratch directory (nothing on the system is
touched) and the outcome compared with NC_CORPUS_DIR/render-expected.tsv: files not listed there
must render; a listed one must fail with its error containing the listed text. A listed file that
renders, or a file of the list that is not in the corpus, fails too, so the list stays exact.

    check-corpus-render.py NSPAWN_COMPOSE
"""

import os
import subprocess
import sys
import tempfile


def main():
    binary = sys.argv[1]
    corpus = os.environ["NC_CORPUS_DIR"]
    expected = {}
    with open(os.path.join(corpus, "render-expected.tsv"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, kind, text = line.rstrip("\n").split("\t")
            expected[name] = (kind, text)
    files = sorted(n for n in os.listdir(os.path.join(corpus, "compose")) if n.endswith((".yml", ".yaml")))
    print(f"1..{len(files) + 1}")
    failed = 0
    counts = {"ok": 0, "environment": 0, "refused": 0}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tempfile.gettempdir(), "LANG": "C.UTF-8"}
    for i, name in enumerate(files, 1):
        with tempfile.TemporaryDirectory() as out:
            p = subprocess.run([binary, "-f", os.path.join(corpus, "compose", name), "render", "--output-dir", out],
                               capture_output=True, text=True, timeout=60, env=env)
        errors = [l for l in p.stderr.splitlines() if l.startswith("<3>")]
        kind, text = expected.get(name, ("ok", ""))
        if kind == "ok":
            good = p.returncode == 0
            why = "" if good else "render failed: " + (errors[0] if errors else p.stderr.strip()[-300:])
        else:
            good = p.returncode != 0 and any(text in e for e in errors)
            why = "" if good else ("rendered" if p.returncode == 0 else "other error: " + " | ".join(errors)[:400])
        counts[kind] += 1
        print(f"{'ok' if good else 'not ok'} {i} - {name}: {kind}{'' if good else ' # ' + why}")
        failed += not good
    stale = sorted(set(expected) - set(files))
    print(f"{'not ok' if stale else 'ok'} {len(files) + 1} - the list names only corpus files"
          f"{' # not in the corpus: ' + ', '.join(stale) if stale else ''}")
    print(f"# {counts['ok']} of {len(files)} render; {counts['refused']} refused; "
          f"{counts['environment']} need their project's environment")
    return 1 if failed or stale else 0


if __name__ == "__main__":
    sys.exit(main())
