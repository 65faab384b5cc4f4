# SPDX-License-Identifier: Apache-2.0
"""The real Docker CLI as the advice tests use it: it parses every flag of a command line before
it looks for a daemon, so pointed at a socket that does not exist it says whether a printed
`docker run ...` is one it accepts (its daemon error) or rejects (a flag error)."""
from __future__ import annotations

import os
import subprocess

from expected import DOCKER_NO_DAEMON


def docker(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ["PATH"], "DOCKER_HOST": DOCKER_NO_DAEMON,
                               "HOME": "/nonexistent"}, stdin=subprocess.DEVNULL, check=False)
