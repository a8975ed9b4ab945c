#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The units meson installs pass `systemd-analyze verify` (TAP).

Each is instantiated for a project directory (the template copied under an instance name, its
binary path pointed at the one built here) and verified with the timer beside the service it runs.

    check-shipped-units.py NSPAWN_COMPOSE UNIT...
"""

import os
import shutil
import subprocess
import sys
import tempfile


def main():
    binary, units = os.path.abspath(sys.argv[1]), sys.argv[2:]
    analyze = shutil.which("systemd-analyze")
    print(f"1..{len(units)}")
    if not analyze:
        for i, u in enumerate(units, 1):
            print(f"ok {i} - {os.path.basename(u)} # SKIP systemd-analyze not installed")
        return 0
    instance = subprocess.run(["systemd-escape", "--path", "/srv/shop"], capture_output=True, text=True,
                              check=True).stdout.strip()
    failed = 0
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "srv/shop"))
        paths = []
        for u in units:
            name = os.path.basename(u).replace("@.", f"@{instance}.")
            text = open(u, encoding="utf-8").read()
            for line in text.splitlines():
                if line.startswith("ExecStart="):
                    text = text.replace(line.split()[0], "ExecStart=" + binary)
            with open(os.path.join(d, name), "w", encoding="utf-8") as f:
                f.write(text)
            paths.append(os.path.join(d, name))
        for i, p in enumerate(paths, 1):
            r = subprocess.run([analyze, "verify", "--man=no", p], capture_output=True, text=True,
                               env=dict(os.environ, SYSTEMD_LOG_LEVEL="warning"))
            out = "\n".join(l for l in (r.stdout + r.stderr).splitlines() if l.strip())
            good = r.returncode == 0 and not out
            print(f"{'ok' if good else 'not ok'} {i} - {os.path.basename(p)}")
            for l in out.splitlines():
                print(f"# {l}")
            failed += not good
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
