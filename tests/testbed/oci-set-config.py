#!/usr/bin/env python3
"""oci-set-config.py LAYOUT TAG JSON: merges the JSON object into the "config" of image TAG in
the OCI layout LAYOUT (fields umoci cannot set, such as Healthcheck). Writes a new config blob
and manifest and points the tag at them; umoci gc removes the old blobs."""
import hashlib
import json
import os
import sys

REF = "org.opencontainers.image.ref.name"


def blob_path(layout, digest):
    algo, hexdigest = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexdigest)


def read_blob(layout, digest):
    with open(blob_path(layout, digest), "rb") as f:
        return json.load(f)


def write_blob(layout, obj):
    data = json.dumps(obj, separators=(",", ":")).encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob_path(layout, digest), "wb") as f:
        f.write(data)
    return digest, len(data)


def main():
    layout, tag, patch = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    index_path = os.path.join(layout, "index.json")
    with open(index_path) as f:
        index = json.load(f)
    desc = next(m for m in index["manifests"]
                if m.get("annotations", {}).get(REF) == tag)
    manifest = read_blob(layout, desc["digest"])
    config = read_blob(layout, manifest["config"]["digest"])
    config.setdefault("config", {}).update(patch)
    manifest["config"]["digest"], manifest["config"]["size"] = write_blob(layout, config)
    desc["digest"], desc["size"] = write_blob(layout, manifest)
    tmp = index_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(index, f)
    os.replace(tmp, index_path)


if __name__ == "__main__":
    main()
