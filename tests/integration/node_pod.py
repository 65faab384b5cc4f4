# SPDX-License-Identifier: Apache-2.0
"""What a node does for a pod whichever runtime then runs its containers: the pod's identity and
volumes on the node's disk and its QoS class, and how a container ended (runc_node.py plays the
node with runc bundles, cri_node.py drives containerd's CRI plugin as kubelet does; each adds
its own fields to NodePod and FinishedContainer); and the removal of the cgroup trees a test's
node or cluster made.

    pod = NodePod(name, uid, directory, objects, spec)
    pod.make_volumes()                                   # pod.volumes: name -> host directory
    remove_cgroup_trees("rlimit-init-runc-test-1234-abcdef")

No tests here: the container tests that use the two nodes exercise it.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chart_render import find

CGROUP_ROOT = Path("/sys/fs/cgroup")


@dataclass
class FinishedContainer:
    """How a container ended; each node's Finished adds what its runtime tells besides."""
    exit_code: int
    stdout: str
    stderr: str
    # What the container left in its termination message file ("" when it has none).
    termination_message: str


@dataclass
class NodePod:
    """The pod of a rendered Job as a node holds it."""
    name: str
    uid: str
    directory: Path
    objects: list[dict[str, Any]]  # everything rendered with it (its ConfigMaps among them)
    spec: dict[str, Any]
    volumes: dict[str, Path] = field(default_factory=dict)  # volume name -> host directory

    @property
    def qos_class(self) -> str:
        """kubelet's QoS class, as far as the rendered pods go: burstable when any container
        states resources, else besteffort (none is guaranteed)."""
        every = [*self.spec.get("initContainers", []), *self.spec["containers"]]
        return "burstable" if any(c.get("resources") for c in every) else "besteffort"

    def make_volumes(self) -> None:
        """The pod's volumes under its directory: an emptyDir is an empty directory any user may
        write to; a configMap volume is a directory with a file per key of the rendered
        ConfigMap."""
        for volume in self.spec.get("volumes", []):
            path = self.directory / "volumes" / volume["name"]
            path.mkdir(parents=True)
            if "emptyDir" in volume:
                path.chmod(0o777)
            elif "configMap" in volume:
                config_map = find(self.objects, "ConfigMap", volume["configMap"]["name"])
                assert len(config_map) == 1, f"no rendered ConfigMap for volume {volume['name']}"
                for key, text in config_map[0]["data"].items():
                    (path / key).write_text(text)
            else:
                raise AssertionError(f"volume {volume['name']}: only emptyDir and configMap "
                                     "volumes are played by these tests")
            self.volumes[volume["name"]] = path


def remove_cgroup_trees(name: str, hierarchies: list[Path] | None = None) -> None:
    """Removes the cgroup `name` and everything below it, deepest first, in each of
    `hierarchies` (default: every one under /sys/fs/cgroup). A directory that is still busy is
    tried again for up to 5 s (the last task of a killed cgroup may still be exiting), then
    left."""
    for hierarchy in CGROUP_ROOT.iterdir() if hierarchies is None else hierarchies:
        top = hierarchy / name
        if not top.is_dir():
            continue
        for directory, _, _ in sorted(os.walk(top), key=lambda walked: -len(walked[0])):
            for _ in range(50):
                try:
                    os.rmdir(directory)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)
