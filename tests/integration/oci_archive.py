# SPDX-License-Identifier: Apache-2.0
"""An unpacked image (oci_image.Image) written as an OCI image layout tar, the archive that
`ctr images import` takes, so that a containerd gets the test images without a registry.

    write_oci_archive(image, "docker.io/library/busybox:test", out / "busybox.tar")

One layer (the image's root filesystem as a tar), a config with the image's user, entrypoint
and cmd, a manifest, and index.json naming the image by the annotation containerd's importer
reads (io.containerd.image.name). Files are written owned by root, as a builder writes them,
except where the unpacked tree says otherwise (the rlimit-init image's /rlimit-init is
root-owned already).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

from oci_image import Image

MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def _layer(root: Path) -> bytes:
    """The tree under `root` as an uncompressed layer tar, entries sorted, times zeroed, so
    the same tree gives the same digest."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(root.rglob("*")):
            info = tar.gettarinfo(str(path), arcname=str(path.relative_to(root)))
            info.mtime = 0
            info.uname = info.gname = ""
            if info.isfile():
                with path.open("rb") as data:
                    tar.addfile(info, data)
            else:
                tar.addfile(info)
    return buffer.getvalue()


def _blob(tar: tarfile.TarFile, data: bytes, media_type: str) -> dict:
    digest = hashlib.sha256(data).hexdigest()
    info = tarfile.TarInfo(f"blobs/sha256/{digest}")
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data)}


def write_oci_archive(image: Image, name: str, out: Path) -> None:
    """Writes `image` as an OCI image layout tar at `out`, named `name` (a full reference:
    containerd's CRI looks "python:3.11" up as "docker.io/library/python:3.11")."""
    layer = _layer(image.template)
    config = {
        "architecture": "amd64", "os": "linux",
        "config": {"User": f"{image.user[0]}:{image.user[1]}",
                   "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Entrypoint": image.entrypoint or None, "Cmd": image.cmd or None},
        "rootfs": {"type": "layers",
                   "diff_ids": [f"sha256:{hashlib.sha256(layer).hexdigest()}"]},
    }
    with tarfile.open(out, "w") as tar:
        layer_descriptor = _blob(tar, layer, MEDIA_LAYER)
        config_descriptor = _blob(tar, json.dumps(config).encode(), MEDIA_CONFIG)
        manifest = {"schemaVersion": 2, "mediaType": MEDIA_MANIFEST,
                    "config": config_descriptor, "layers": [layer_descriptor]}
        manifest_descriptor = _blob(tar, json.dumps(manifest).encode(), MEDIA_MANIFEST)
        manifest_descriptor["annotations"] = {"io.containerd.image.name": name}
        for file_name, data in (
                ("oci-layout", {"imageLayoutVersion": "1.0.0"}),
                ("index.json", {"schemaVersion": 2, "manifests": [manifest_descriptor]})):
            text = json.dumps(data).encode()
            info = tarfile.TarInfo(file_name)
            info.size = len(text)
            tar.addfile(info, io.BytesIO(text))
