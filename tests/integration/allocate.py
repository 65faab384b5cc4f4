# SPDX-License-Identifier: Apache-2.0
"""A job that really allocates: what a data-segment cap is there to stop. Static, so that it
runs in the busybox images of the container tests as it does on the host.

    program = static_allocator(tmp_path)   # gcc -static; skips, saying why, without gcc
    [str(program), "64"]                   # allocates and touches 64 MiB, prints "ok"

Past the cap, malloc() fails and it prints "malloc: Cannot allocate memory" and exits 1."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import skip_unless

SOURCE = r"""#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  if (argc != 2) return 2;
  size_t n = strtoull(argv[1], NULL, 10) << 20;
  char *p = malloc(n);
  if (p == NULL) { perror("malloc"); return 1; }
  for (size_t i = 0; i < n; i += 4096) p[i] = 1;
  puts("ok");
  return 0;
}
"""
# What it says when the cap stops it.
REFUSED = "malloc: Cannot allocate memory\n"


def static_allocator(directory: Path) -> Path:
    skip_unless(shutil.which("gcc") is not None, "gcc is not installed (scripts/setup.sh --tests)")
    source = directory / "allocate.c"
    source.write_text(SOURCE)
    program = directory / "allocate"
    subprocess.run(["gcc", "-static", "-O2", "-o", str(program), str(source)], check=True,
                   timeout=300)
    return program
