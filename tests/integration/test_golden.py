# SPDX-License-Identifier: Apache-2.0
"""The checks golden.py makes before it writes a host's value as a placeholder: each must fail
when the binary's figure does not stand for the value read from /proc and the cgroup files. On
this machine a test run only meets one kind of host (no cgroup memory limit), so the others are
given here as data."""

from __future__ import annotations

import re

import pytest

import golden
from expected import GIB, MIB, UNLIMITED, HostMemory

pytestmark = pytest.mark.without_binary

MEM_TOTAL = 25276157952  # "23.54 GiB"
SOURCE = "/sys/fs/cgroup/memory/job/memory.limit_in_bytes"
NO_LIMIT = HostMemory("v1", "/job", "/sys/fs/cgroup/memory/job", UNLIMITED, "", MEM_TOTAL)
LIMITED = HostMemory("v1", "/job", "/sys/fs/cgroup/memory/job", GIB, SOURCE, MEM_TOTAL)
UNKNOWN = HostMemory("none", "", "", None, "", MEM_TOTAL, "cannot read /proc/self/cgroup")

RAISED = ("rlimit-init: raised the soft address-space limit (RLIMIT_AS) from 8 MiB to unlimited; "
          "hard limit unlimited; ")
OOM = ("rlimit-init: warning: the address space granted (unlimited) is above the cgroup memory "
       f"limit 1 GiB ({SOURCE}): past 1 GiB the kernel OOM-kills the job instead of letting it "
       "catch MemoryError\n")


@pytest.mark.parametrize("figure, value, stands", [
    ("1 GiB", GIB, True), ("512 MiB", 512 * MIB, True), ("23.54 GiB", MEM_TOTAL, True),
    ("23.55 GiB", MEM_TOTAL, False),  # rounded up: the binary cuts
    ("1024 MiB", GIB, False),  # not the largest unit
    ("1.5 GiB", 3 * GIB // 2, True), ("1.49 GiB", 3 * GIB // 2, False),
    ("100 bytes", 100, True), ("unlimited", UNLIMITED, True), ("unlimited", GIB, False),
])
def test_a_figure_stands_for_the_value_it_cuts_to(figure, value, stands) -> None:
    assert golden.stands_for(figure, value) is stands


@pytest.mark.parametrize("facts, tail", [
    (NO_LIMIT, "no cgroup memory limit; host MemTotal 23.54 GiB"),
    (LIMITED, f"cgroup memory limit 1 GiB from {SOURCE}"),
    (UNKNOWN, "cgroup memory limit unknown (cannot read /proc/self/cgroup); host MemTotal "
              "23.54 GiB"),
], ids=["no-limit", "limit", "unknown"])
def test_the_hosts_memory_is_replaced_when_it_is_the_hosts(facts, tail) -> None:
    assert golden.masked(RAISED + tail + "\n", golden.host_memory(facts)) == (
        RAISED + "{host memory}\n")


@pytest.mark.parametrize("facts, tail", [
    (NO_LIMIT, "no cgroup memory limit; host MemTotal 23.55 GiB"),
    (NO_LIMIT, f"cgroup memory limit 1 GiB from {SOURCE}"),
    (LIMITED, f"cgroup memory limit 2 GiB from {SOURCE}"),
    (LIMITED, "cgroup memory limit 1 GiB from /sys/fs/cgroup/memory/memory.limit_in_bytes"),
    (LIMITED, "no cgroup memory limit; host MemTotal 23.54 GiB"),
    (UNKNOWN, "no cgroup memory limit; host MemTotal 23.54 GiB"),
], ids=["wrong-memtotal", "limit-on-a-host-without", "wrong-limit", "wrong-source",
        "no-limit-on-a-host-with", "known-on-an-unknown-host"])
def test_a_tail_that_is_not_the_hosts_fails(facts, tail) -> None:
    with pytest.raises(pytest.fail.Exception):
        golden.masked(RAISED + tail + "\n", golden.host_memory(facts))


def test_the_warning_above_the_hosts_own_limit_is_taken_out_where_it_belongs() -> None:
    text = RAISED + f"cgroup memory limit 1 GiB from {SOURCE}\n" + OOM
    assert golden.masked(text, golden.host_memory(LIMITED, UNLIMITED)) == (
        RAISED + "{host memory}\n")


@pytest.mark.parametrize("facts, grant, text", [
    (LIMITED, UNLIMITED, RAISED + f"cgroup memory limit 1 GiB from {SOURCE}\n"),  # missing
    (NO_LIMIT, UNLIMITED, RAISED + "no cgroup memory limit; host MemTotal 23.54 GiB\n" + OOM),
    (LIMITED, 512 * MIB, RAISED + f"cgroup memory limit 1 GiB from {SOURCE}\n" + OOM),
], ids=["missing", "on-a-host-without-a-limit", "under-the-limit"])
def test_a_warning_above_the_hosts_limit_must_match_the_host(facts, grant, text) -> None:
    with pytest.raises(pytest.fail.Exception):
        golden.masked(text, golden.host_memory(facts, grant))


def test_a_value_replaces_only_the_figure_that_stands_for_it() -> None:
    share = MEM_TOTAL // 2  # "11.77 GiB"
    text = f"from 8 MiB (8388608 bytes, ulimit -v 8192) to 11.77 GiB ({share} bytes, ulimit -v " \
           f"{share // 1024}); 11.78 GiB"
    assert golden.masked(text, golden.value(share, "share")) == (
        "from 8 MiB (8388608 bytes, ulimit -v 8192) to {share} ({share_bytes} bytes, ulimit -v "
        "{share_kib}); 11.78 GiB")
    assert re.search(r"\{share\}", golden.masked("23.54 GiB", golden.value(share, "share"))) is None
