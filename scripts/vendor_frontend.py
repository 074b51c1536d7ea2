#!/usr/bin/env python3
"""Fetch the pages' third-party front-end files from the npm registry, at pinned versions.

Each package's tarball is checked against the registry's sha512 integrity before anything
is unpacked; only the files the pages use are kept, with the package's licence and its
``package.json``, under ``kb/web/static/vendor/<package>/``. ``MANIFEST.json`` there says
what came from where. The folder is not committed: ``make setup`` runs this script, and
anyone can rerun it (``NPM_CONFIG_REGISTRY`` points it at a mirror).

    python scripts/vendor_frontend.py [--force]
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import sys
import tarfile
import urllib.request
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "kb" / "web" / "static" / "vendor"

# (folder, npm package, version, sha512 integrity, files kept besides package.json)
PINS = (
    (
        "yasgui",
        "@zazuko/yasgui",
        "4.6.2",
        "Zw45KdPoAE1KRaAoxIHdQqeJxvaVG1oQdntw0hy0ktX35Zu8ZccuOLrXCLwR+GU+0xMzLw8Mjw6BkSZV2vUuQw==",
        ("build/yasgui.min.js", "build/yasgui.min.css"),
    ),
    (
        "swagger-ui",
        "swagger-ui-dist",
        "5.36.0",
        "Lt6/Kb0gXmLdiabLhvso4VdJP9V7qJWB0zh0gzeXUV3+CMOTzMmvpJRSXN7EAjfwixwmoi9ezDbLHiexC7lA9A==",
        ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE",
         "swagger-ui-bundle.js.LICENSE.txt"),
    ),
    (
        "axe-core",  # only the accessibility tests inject it into the pages
        "axe-core",
        "4.14.1",
        "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        ("axe.min.js", "LICENSE", "LICENSE-3RD-PARTY.txt"),
    ),
)  # fmt: skip


def tarball_url(registry: str, package: str, version: str) -> str:
    """The registry's address of a package's tarball (scoped names keep their scope)."""
    base = package.rpartition("/")[2]
    return f"{registry.rstrip('/')}/{package}/-/{base}-{version}.tgz"


def check_integrity(body: bytes, integrity: str, what: str) -> None:
    """Raise unless ``body`` has the sha512 digest the registry published for it."""
    digest = base64.b64encode(hashlib.sha512(body).digest()).decode()
    if digest != integrity:
        raise SystemExit(f"{what}: sha512 {digest} is not the pinned {integrity}; nothing kept")


def unpack(body: bytes, files: tuple[str, ...], folder: Path) -> list[str]:
    """Write the named files of a package tarball (and its package.json) into ``folder``."""
    wanted = {f"package/{name}": name for name in (*files, "package.json")}
    kept = []
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
        for member in tar.getmembers():
            name = wanted.get(member.name)
            source = tar.extractfile(member) if name and member.isfile() else None
            if name and source is not None:
                target = folder / Path(name).name
                target.write_bytes(source.read())
                kept.append(target.name)
    missing = {Path(n).name for n in wanted.values()} - set(kept)
    if missing:
        raise SystemExit(f"{folder.name}: the tarball lacks {sorted(missing)}")
    return sorted(kept)


def main(argv: list[str]) -> int:
    """Fetch every pinned package not already there at its version (all with ``--force``)."""
    registry = os.environ.get("NPM_CONFIG_REGISTRY", "https://registry.npmjs.org")
    manifest_path = VENDOR / "MANIFEST.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    for folder_name, package, version, integrity, files in PINS:
        folder = VENDOR / folder_name
        if "--force" not in argv and manifest.get(folder_name, {}).get("version") == version:
            continue
        url = tarball_url(registry, package, version)
        with urllib.request.urlopen(url, timeout=60) as response:
            body = response.read()
        check_integrity(body, integrity, f"{package}@{version}")
        folder.mkdir(parents=True, exist_ok=True)
        kept = unpack(body, files, folder)
        licence = json.loads((folder / "package.json").read_text()).get("license")
        manifest[folder_name] = {"package": package, "version": version, "url": url,
                                 "integrity": f"sha512-{integrity}", "license": licence,
                                 "files": kept}  # fmt: skip
        print(f"{package}@{version} ({licence}): {', '.join(kept)}")
    VENDOR.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
