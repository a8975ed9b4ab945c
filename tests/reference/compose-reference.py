#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""docker compose is the reference for our loader.

For every compose file of the corpus (tests/data/corpus) and of the reference fixtures
(tests/data/reference), runs `nspawn-compose config ...` and the reference's `docker-compose config
...` (scripts/fetch-compose-ref.sh fetches it; its path comes in NC_COMPOSE_REF) with the same
arguments, and compares the results: the JSON and YAML models field by field, the lines of
--services/--images/--volumes/--profiles, and the exit status of --quiet. A case passes when both
reject it (and our message says what docker compose says), or both load it and agree.

The differences kept on purpose are tests/reference/differences.txt, mirrored in
docs/compose-differences.md: `accept` entries are differences allowed at a JSON path, `rule`
entries are the comparator's normalizations of pure serialization artefacts. Every entry must
still be needed (an accept that matches no difference, or a rule that changes nothing, fails), and
every entry must have a row in the doc.

A fixture is tests/data/reference/NAME.yml, or a directory NAME/ with compose.yml, the files it
refers to, and optionally `args` (global options, one line, shell words; e.g.
`--project-directory . --profile debug`) and `env` (K=V lines: the environment of both runs).

    compose-reference.py OURS REFERENCE SOURCE_ROOT
Exit 0 when everything agrees, 1 otherwise, 77 (skip) without the reference.
"""

import concurrent.futures
import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import yaml

# ---- the list of kept differences --------------------------------------------------------------


class Entry:
    def __init__(self, fields, where):
        self.id = fields.get("id")
        self.kind = fields.get("kind")
        self.case = fields.get("case", "*")
        self.paths = fields.get("path", ["*"])
        self.verb = fields.get("verb", "*")
        self.reason = fields.get("reason")
        self.used = 0
        if not self.id or self.kind not in ("accept", "rule") or not self.reason:
            raise SystemExit(f"{where}: an entry needs id, kind (accept|rule) and reason")

    def matches(self, case, verb, path):
        return (fnmatch.fnmatchcase(case, self.case) and fnmatch.fnmatchcase(verb, self.verb)
                and any(fnmatch.fnmatchcase(path, p) for p in self.paths))


def read_list(path):
    entries, fields, start = [], {}, 0
    with open(path) as f:
        lines = f.read().splitlines() + [""]
    for i, line in enumerate(lines, 1):
        if line.startswith("#"):
            continue
        if not line.strip():
            if fields:
                entries.append(Entry(fields, f"{path}:{start}"))
            fields = {}
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise SystemExit(f"{path}:{i}: expected 'key: value'")
        if not fields:
            start = i
        key = key.strip()
        if key == "reason" and "reason" in fields:
            fields[key] += " " + value.strip()
        elif key == "path":
            fields.setdefault("path", []).append(value.strip())
        else:
            fields[key] = value.strip()
    ids = [e.id for e in entries]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise SystemExit(f"{path}: duplicate ids {sorted(dup)}")
    return entries


# ---- loading what both print --------------------------------------------------------------------


class Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 core schema, as both loaders read YAML (PyYAML alone is YAML 1.1)."""


Yaml12Loader.yaml_implicit_resolvers = {}
for tag, regexp, first in [
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
        ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
        ("tag:yaml.org,2002:float",
         r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
         list("-+.0123456789"))]:
    Yaml12Loader.add_implicit_resolver(tag, re.compile(regexp), first)


def _int12(loader, node):
    v = loader.construct_scalar(node)
    if v.startswith("0o"):
        return int(v[2:], 8)
    return int(v, 0) if v.startswith("0x") else int(v, 10)


def _float12(loader, node):
    v = loader.construct_scalar(node).lower()
    if v.endswith("inf"):
        return float("-inf") if v.startswith("-") else float("inf")
    return float("nan") if v == ".nan" else float(v)


Yaml12Loader.add_constructor("tag:yaml.org,2002:int", _int12)
Yaml12Loader.add_constructor("tag:yaml.org,2002:float", _float12)


def parse(verb, text):
    if verb == "json":
        return json.loads(text)
    if verb == "yaml":
        return yaml.load(text, Loader=Yaml12Loader)
    return text.splitlines()


# ---- the comparator's rules (each one an entry of kind `rule`) ----------------------------------


def rule_null_command(model, verb):
    """docker compose's JSON has `command: null` and `entrypoint: null` on every service."""
    n = 0
    for s in (model.get("services") or {}).values():
        for k in ("command", "entrypoint"):
            if k in s and s[k] is None:
                del s[k]
                n += 1
    return n


def rule_unordered(lines, verb):
    """docker compose prints --services, --images and --volumes in Go's map order, which changes
    from run to run: the comparator sorts both."""
    return sorted(lines), int(lines != sorted(lines))


LIST_RULE = "rule-unordered-lists"
NO_INTERPOLATE_ENTRY = "accept-no-interpolate-canonical"
LIST_VERBS = ("services", "images", "volumes")

# id -> (applies to our output, to the reference's, the function)
RULES = {
    "rule-null-command-entrypoint": (False, True, rule_null_command),
}

# ---- comparing ----------------------------------------------------------------------------------


def same_scalar(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b or (a != a and b != b)
    return type(a) is type(b) and a == b


def diff(a, b, path, out):
    """JSON paths where @a (ours) and @b (the reference) differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            p = f"{path}.{k}" if path else k
            if k not in b:
                out.append((p, "only ours", a[k]))
            elif k not in a:
                out.append((p, "only docker compose", b[k]))
            else:
                diff(a[k], b[k], p, out)
    elif isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            p = f"{path}[{i}]"
            if i >= len(b):
                out.append((p, "only ours", a[i]))
            elif i >= len(a):
                out.append((p, "only docker compose", b[i]))
            else:
                diff(a[i], b[i], p, out)
    elif not same_scalar(a, b):
        out.append((path, "ours", a, "docker compose", b))


def show(v):
    s = json.dumps(v, sort_keys=True)
    return s if len(s) <= 100 else s[:97] + "..."


class Run:
    def __init__(self, argv, cwd, env):
        p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)
        self.rc, self.out, self.err = p.returncode, p.stdout, p.stderr


def error_text(r, workdir):
    """The message of a failed run without its log prefix and warnings, paths relative to the case."""
    lines = [l for l in r.err.splitlines() if l.strip() and "level=warning" not in l and not l.startswith("<4>")]
    text = re.sub(r"^<\d>", "", " ".join(l.strip() for l in lines))
    return text.replace(workdir + "/", "")


# docker compose's framing of a message, which says where in its own way (we say file:line:column
# and the key path) or names the Go function that failed: left out before the words are compared.
DOCKER_FRAMING = [r"validating [^ ]*: ", r"yaml: unmarshal errors: line \d+: ", r"yaml: line \d+: ",
                  r"error while interpolating ", r": invalid compose project$", r"json: ", r"strconv\.\w+: ",
                  r"time: ", r"decoding failed due to the following error\(s\): ", r"error decoding '[^']*': ",
                  r"\(root\) "]
STOP_WORDS = {"a", "an", "the", "for", "in", "at", "to", "of", "open", "stat"}


def words(text):
    out = set()
    for w in text.lower().split():
        w = w.strip(".,:;\"'`()")
        w = w[2:] if w.startswith("./") else w
        if w and w not in STOP_WORDS:
            out.add(w)
    return out


def same_error(ours, theirs):
    """Our message says what docker compose's says: every word of its message, less its framing."""
    for f in DOCKER_FRAMING:
        theirs = re.sub(f, "", theirs)
    return words(theirs) <= words(ours)


# The verbs: name, `config` arguments, how to compare.
VERBS = [
    ("json", ["--format", "json"]),
    ("yaml", []),
    ("services", ["--services"]),
    ("images", ["--images"]),
    ("volumes", ["--volumes"]),
    ("profiles", ["--profiles"]),
    ("quiet", ["-q"]),
    ("hash", ["--hash", "*"]),
    ("no-interpolate", ["--no-interpolate", "--format", "json"]),
]


def check_errors(case):
    """Messages are compared for the fixtures and the corpus' invalid files. The other corpus files
    fail here only for want of their environment or sibling files, often with several errors at
    once, of which docker compose names one at random (Go's map order): both rejecting is enough."""
    return not case.name.startswith("corpus/compose/")


class Case:
    def __init__(self, name, workdir, file, args, env):
        self.name, self.workdir, self.file, self.args, self.env = name, workdir, file, args, env


def cases(source_root):
    corpus = os.environ.get("NC_CORPUS_DIR") or os.path.join(source_root, "tests/data/corpus")
    for sub in sorted(os.listdir(corpus)):
        d = os.path.join(corpus, sub)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith((".yml", ".yaml")):
                yield Case(f"corpus/{sub}/{f}", d, f, [], {})
    fixtures = os.path.join(source_root, "tests/data/reference")
    for f in sorted(os.listdir(fixtures)):
        path = os.path.join(fixtures, f)
        if f.endswith((".yml", ".yaml")):
            yield Case(f"reference/{f}", fixtures, f, [], {})
        elif os.path.isdir(path):
            args, env = [], {}
            if os.path.exists(os.path.join(path, "args")):
                args = shlex.split(open(os.path.join(path, "args")).read())
            if os.path.exists(os.path.join(path, "env")):
                for line in open(os.path.join(path, "env")).read().splitlines():
                    if line and not line.startswith("#"):
                        k, _, v = line.partition("=")
                        env[k] = v
            yield Case(f"reference/{f}/", path, None, args, env)


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    ours, source_root = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[3])
    ref = os.environ.get("NC_COMPOSE_REF") or sys.argv[2]
    if not ref or not os.access(ref, os.X_OK):
        print("SKIP: no reference docker-compose (scripts/fetch-compose-ref.sh; NC_COMPOSE_REF=PATH)")
        return 77
    list_path = os.path.join(source_root, "tests/reference/differences.txt")
    entries = read_list(list_path)
    by_id = {e.id: e for e in entries}
    for e in entries:
        if e.kind == "rule" and e.id not in RULES and e.id != LIST_RULE:
            raise SystemExit(f"{list_path}: rule {e.id} is not one the comparator knows")
    for rid in list(RULES) + [LIST_RULE]:
        if rid not in by_id:
            raise SystemExit(f"{list_path}: the comparator's rule {rid} has no entry")

    home = tempfile.mkdtemp(prefix="nc-ref-home.")
    base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "LANG": "C.UTF-8"}
    n_same = n_listed = n_differ = n_same_but_raw = 0
    failed = []
    try:
        all_cases = list(cases(source_root))

        def run_pair(job):
            case, vargs = job
            env = dict(base_env, **case.env)
            pre = case.args + (["-f", case.file] if case.file else [])
            return (Run([ours] + pre + ["config"] + vargs, case.workdir, env),
                    Run([ref] + pre + ["config"] + vargs, case.workdir, env))

        jobs = [(case, vargs) for case in all_cases for _, vargs in VERBS]
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            results = iter(list(pool.map(run_pair, jobs)))
        for case in all_cases:
            problems, listed = [], []
            for verb, vargs in VERBS:
                a, b = next(results)
                found = []
                if (a.rc == 0) != (b.rc == 0):
                    found.append(("(load)", "ours " + ("loads" if a.rc == 0 else "rejects: " + error_text(a, case.workdir)),
                                  "docker compose " + ("loads" if b.rc == 0 else "rejects: " + error_text(b, case.workdir))))
                elif a.rc != 0:
                    if verb == "json" and check_errors(case):
                        ea, eb = error_text(a, case.workdir), error_text(b, case.workdir)
                        if not same_error(ea, eb):
                            found.append(("(error)", "ours", ea, "docker compose", eb))
                elif verb == "quiet":
                    if a.out or b.out:
                        found.append(("(output)", "ours", a.out, "docker compose", b.out))
                else:
                    try:
                        ma = parse(verb if verb != "no-interpolate" else "json", a.out)
                        mb = parse(verb if verb != "no-interpolate" else "json", b.out)
                    except Exception as ex:  # noqa: BLE001 - any parse failure is a difference
                        found.append(("(parse)", str(ex)))
                        ma = mb = None
                    if isinstance(ma, dict) and isinstance(mb, dict):
                        for rid, (on_ours, on_ref, fn) in RULES.items():
                            e = by_id[rid]
                            if not (fnmatch.fnmatchcase(case.name, e.case) and fnmatch.fnmatchcase(verb, e.verb)):
                                continue
                            e.used += (fn(ma, verb) if on_ours else 0) + (fn(mb, verb) if on_ref else 0)
                    if verb in LIST_VERBS and isinstance(ma, list) and isinstance(mb, list):
                        ma, _ = rule_unordered(ma, verb)
                        mb, n = rule_unordered(mb, verb)
                        by_id[LIST_RULE].used += n
                    if ma is not None:
                        diff(ma, mb, "", found)
                for d in found:
                    e = next((e for e in entries if e.kind == "accept" and e.matches(case.name, verb, d[0])), None)
                    if e:
                        e.used += 1
                        listed.append((verb, e.id, d))
                    else:
                        problems.append((verb, d))
            if problems:
                n_differ += 1
                failed.append(case.name)
                print(f"DIFFER {case.name}")
                for verb, d in problems:
                    print(f"    [{verb}] {d[0]}: " + "; ".join(show(x) if not isinstance(x, str) else x
                                                           for x in d[1:]))
            elif listed:
                n_listed += 1
                if {i for _, i, _ in listed} == {NO_INTERPOLATE_ENTRY}:
                    n_same_but_raw += 1
                print(f"LISTED {case.name}: " + ", ".join(sorted({i for _, i, _ in listed})))
            else:
                n_same += 1
                print(f"SAME   {case.name}")
    finally:
        shutil.rmtree(home, ignore_errors=True)

    stale = [e for e in entries if not e.used]
    for e in stale:
        print(f"STALE  {e.id}: matches no difference any more; remove it from the list and the doc")

    doc = open(os.path.join(source_root, "docs/compose-differences.md")).read()
    doc_ids = set(re.findall(r"`((?:accept|rule)-[a-z0-9-]+)`", doc))
    missing = [e.id for e in entries if e.id not in doc_ids]
    extra = sorted(doc_ids - set(by_id))
    for i in missing:
        print(f"UNDOCUMENTED {i}: docs/compose-differences.md has no row for it")
    for i in extra:
        print(f"DOC-ONLY {i}: docs/compose-differences.md lists it, the list does not")

    print(f"\n{n_same} files identical, {n_listed} on the list, {n_differ} differ"
          f" ({n_same + n_same_but_raw} identical in every verb but --no-interpolate;"
          f" {len(stale)} stale entries, {len(missing) + len(extra)} doc mismatches)")
    return 1 if n_differ or stale or missing or extra else 0


if __name__ == "__main__":
    sys.exit(main())
