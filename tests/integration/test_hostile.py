# SPDX-License-Identifier: Apache-2.0
"""Hostile policies and broken hosts against the real binary: each gets a clear message or a
documented fallback, the right exit code, bounded time, and nothing is exec'd after an error.
The README's "Bad inputs and faults" table is this file's summary."""
import os
import shutil
import stat
import subprocess

import pytest

from conftest import skip_unless

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("RLIMIT_INIT_BIN", os.path.join(HERE, "../../build/rlimit-init"))
HOSTS = os.path.join(HERE, "../fixtures/hosts")
HEADER = "apiVersion: rlimit-init/v1\naddressSpace:\n  request: 512Mi\n"
# A guard against a hang, not a speed assertion: every case here finishes in milliseconds.
GUARD = 20


def run(args, **kwargs):
    return subprocess.run([BIN] + args, capture_output=True, text=True, timeout=GUARD, **kwargs)


@pytest.fixture
def open_tmp():
    """A directory another user can traverse (pytest's own tmp_path sits below a 0700 one)."""
    import tempfile
    d = tempfile.mkdtemp(prefix="rlimit-init-test-")
    os.chmod(d, 0o755)
    yield __import__("pathlib").Path(d)
    shutil.rmtree(d)


def write(path, data, mode="w"):
    with open(path, mode) as f:
        f.write(data)
    return str(path)


# --- bad policies ---------------------------------------------------------------------------

BAD_POLICIES = [
    ("empty", "", "policy is empty; it needs at least apiVersion and addressSpace.request"),
    ("comment-only", "# nothing\n",
     "policy is empty; it needs at least apiVersion and addressSpace.request"),
    ("document-marker-only", "---\n",
     "2:1: policy is empty; it needs at least apiVersion and addressSpace.request"),
    ("lone-comma", ",", "1:1: invalid YAML: unexpected character"),
    ("second-document", HEADER + "---\nx: 1\n",
     "5:1: a second YAML document is not allowed; a policy is one document"),
    ("flow-nesting", "[" * 100000, "1:5: nested too deeply (a policy is at most 8 levels deep)"),
    ("map-nesting", "{a: " * 20000, "1:29: nested too deeply (a policy is at most 8 levels deep)"),
    ("block-nesting", "".join(" " * i + "k:\n" for i in range(200)),
     "9:9: nested too deeply (a policy is at most 8 levels deep)"),
    ("sequence-nesting", "- " * 5000 + "x\n",
     "1:17: nested too deeply (a policy is at most 8 levels deep)"),
    ("self-alias", "a: &a [*a]\n", "1:4: anchors (&name) are not allowed in a policy"),
    ("alias-bomb", "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
     "1:4: anchors (&name) are not allowed in a policy"),
    ("undefined-alias", "a: *nowhere\n", "1:4: invalid YAML: the referenced anchor is not defined"),
    ("merge-key", HEADER + "<<: {x: 1}\n",
     "4:1: <<: unknown key; expected one of: apiVersion, addressSpace, memory, report, user"),
    ("nul-byte", HEADER.replace("512Mi", "512\0Mi"), "3:15: NUL byte in policy file"),
    ("invalid-utf8", HEADER.replace("512Mi", "512\udcffMi"), "3:15: invalid UTF-8 in policy file"),
    ("tab-indent", HEADER.replace("  request", "\trequest"),
     "3:1: tab used for indentation (YAML allows only spaces there)"),
    ("octal-looking", HEADER.replace("512Mi", "010"),
     "3:12: addressSpace.request: invalid quantity \"010\": leading zeros are not allowed "
     "(YAML 1.1 reads them as octal)"),
    ("hex", HEADER.replace("512Mi", "0x10"),
     "3:12: addressSpace.request: invalid quantity \"0x10\": hexadecimal is not supported"),
    ("exponent", HEADER.replace("512Mi", "1e3"),
     "3:12: addressSpace.request: invalid quantity \"1e3\": exponents are not supported; write "
     "the bytes or use a suffix such as G or Gi"),
    ("separator", HEADER.replace("512Mi", "1_000"),
     "3:12: addressSpace.request: invalid quantity \"1_000\": digit separators are not allowed"),
    ("negative", HEADER.replace("512Mi", "-1"),
     "3:12: addressSpace.request: invalid quantity \"-1\": must not be negative"),
    ("two-to-the-64", HEADER.replace("512Mi", "18446744073709551616"),
     "3:12: addressSpace.request: invalid quantity \"18446744073709551616\": too large; the "
     "largest is 8Ei minus one byte, or write \"unlimited\""),
    ("uint64-max", HEADER.replace("512Mi", "18446744073709551615"),
     "3:12: addressSpace.request: invalid quantity \"18446744073709551615\": too large; the "
     "largest is 8Ei minus one byte, or write \"unlimited\""),
    ("null", HEADER.replace("512Mi", "~"),
     "3:12: addressSpace.request: expected a quantity, a percentage, \"unlimited\" or \"hard\", "
     "got nothing"),
    ("lowercase-suffix", HEADER.replace("512Mi", "512mi"),
     "3:12: addressSpace.request: invalid quantity \"512mi\": unknown suffix \"mi\" (did you "
     "mean \"Mi\"? suffixes are case-sensitive)"),
    ("percent-zero", HEADER.replace("512Mi", "0%"),
     "3:12: addressSpace.request: invalid percentage \"0%\": must be above 0% (0% would leave "
     "no address space)"),
    ("percent-above-100", HEADER.replace("512Mi", "150%"),
     "3:12: addressSpace.request: invalid percentage \"150%\": must be at most 100% of the "
     "memory ceiling; to go past it, give a quantity and set aboveCgroup"),
    ("wrong-type-bool", HEADER + "  raiseHard: 1\n",
     "4:14: addressSpace.raiseHard: expected true or false, got 1"),
    ("duplicate-key", HEADER + "  request: 1Gi\n", "4:3: addressSpace.request: duplicate key"),
]


@pytest.mark.parametrize("name, text, message", BAD_POLICIES, ids=[b[0] for b in BAD_POLICIES])
def test_bad_policy_exits_78_with_position_and_runs_nothing(tmp_path, name, text, message):
    policy = tmp_path / f"{name}.yaml"
    policy.write_bytes(text.encode("utf-8", "surrogateescape"))
    marker = tmp_path / "ran"
    done = run(["-p", str(policy), "--", "touch", str(marker)])
    assert done.returncode == 78
    where = "" if message[0].isdigit() else " "  # a position follows the colon directly
    assert done.stderr == f"rlimit-init: invalid policy: {policy}:{where}{message}\n"
    assert not marker.exists()


def test_quoted_number_and_bom_are_accepted(tmp_path):
    policy = write(tmp_path / "p.yaml", "\ufeff" + HEADER.replace("512Mi", '"536870912"'))
    done = run(["check", "-q", "-o", "json", "-p", policy])
    assert done.returncode == 0, done.stdout
    assert '"request_bytes":536870912' in done.stdout.split(",")[1]


def test_deep_nesting_is_refused_even_with_a_small_stack(tmp_path):
    policy = write(tmp_path / "deep.yaml", "[" * 200000)
    done = subprocess.run(["prlimit", "--stack=131072", BIN, "check", "-p", policy],
                          capture_output=True, text=True, timeout=GUARD)
    assert done.returncode == 78
    assert done.stdout == (f"rlimit-init: invalid policy: {policy}:1:5: nested too deeply (a "
                           "policy is at most 8 levels deep)\n")


@pytest.mark.parametrize("kind", ["directory", "fifo", "dev-zero", "dangling-symlink", "too-large"])
def test_policy_that_is_not_a_small_regular_file(tmp_path, kind):
    path = tmp_path / "policy.yaml"
    expected = {
        "directory": "it is a directory",
        "fifo": "not a regular file (a FIFO, device or socket)",
        "dev-zero": "not a regular file (a FIFO, device or socket)",
        "dangling-symlink": "No such file or directory",
        "too-large": "larger than 256 KiB (a policy is a few lines)",
    }[kind]
    if kind == "directory":
        path.mkdir()
    elif kind == "fifo":
        os.mkfifo(path)  # opening it for reading must not wait for a writer
    elif kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "dangling-symlink":
        path.symlink_to(tmp_path / "nowhere")
    else:
        path.write_text(HEADER + "#" * (256 * 1024))
    done = run(["check", "-p", str(path)])
    assert done.returncode == 78
    assert done.stdout == f"rlimit-init: cannot read policy {path}: {expected}\n"


def test_unreadable_policy_as_non_root(open_tmp):
    skip_unless(os.geteuid() == 0, "starting as another user needs root")
    policy = write(open_tmp / "p.yaml", HEADER)
    os.chmod(policy, 0o600)
    done = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                           BIN, "check", "-p", policy], capture_output=True, text=True,
                          timeout=GUARD)
    assert done.returncode == 78
    assert done.stdout == f"rlimit-init: cannot read policy {policy}: Permission denied\n"


# --- broken hosts -----------------------------------------------------------------------------

def host_copy(tmp_path, name):
    root = tmp_path / name
    shutil.copytree(os.path.join(HOSTS, name), root, symlinks=True)
    return root


def check_json(root, *extra):
    import json
    done = run(["check", "--as", "512Mi", "-o", "json", "--host-root", str(root), *extra])
    assert done.returncode == 0, done.stdout
    return json.loads(done.stdout)


def test_no_proc_at_all_falls_back_to_no_limit(tmp_path):
    d = check_json(tmp_path)
    assert d["memory_limit_bytes"] == "unlimited"
    assert d["memory_ceiling_bytes"] == "unlimited"
    assert d["cgroup_version"] == "none"
    assert d["warnings"] == ["cannot read /proc/self/cgroup: no such file or directory"]


@pytest.mark.parametrize("value, note", [
    ("garbage\n", 'cannot parse /sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.max: "garbage"'),
    ("\n", 'cannot parse /sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.max: ""'),
    ("99999999999999999999999\n",
     'cannot parse /sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.max: '
     '"99999999999999999999999"'),
])
def test_unparseable_limit_is_named_and_ancestors_still_count(tmp_path, value, note):
    root = host_copy(tmp_path, "v2-nested")
    write(root / "sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.max", value)
    d = check_json(root)
    assert d["memory_limit_bytes"] == 8589934592
    assert d["memory_limit_source"] == "/sys/fs/cgroup/batch.slice/memory.max"
    assert d["warnings"][0] == note


def test_huge_file_in_place_of_a_limit_is_read_at_most_one_mib(tmp_path):
    root = host_copy(tmp_path, "v2-nested")
    write(root / "sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.max", "1" * (8 << 20))
    d = check_json(root)
    assert d["memory_limit_bytes"] == 8589934592
    assert d["warnings"][0].startswith(
        "cannot parse /sys/fs/cgroup/batch.slice/batch-nightly.slice/memory.max: \"111")


def test_deleted_cgroup_is_said(tmp_path):
    root = host_copy(tmp_path, "v2-nested")
    path = root / "proc/self/cgroup"
    write(path, path.read_text().rstrip("\n") + " (deleted)\n")
    d = check_json(root)
    assert d["warnings"][0] == "cgroup /batch.slice/batch-nightly.slice/job-42.scope has been deleted"


def test_unreadable_mountinfo_as_non_root(open_tmp):
    skip_unless(os.geteuid() == 0, "starting as another user needs root")
    root = host_copy(open_tmp, "v2-nested")
    for dirpath, dirnames, filenames in os.walk(open_tmp):
        os.chmod(dirpath, 0o755)
        for f in filenames:
            os.chmod(os.path.join(dirpath, f), 0o644)
    os.chmod(root / "proc/self/mountinfo", 0)
    done = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                           BIN, "check", "-q", "--as", "512Mi", "--host-root", str(root)],
                          capture_output=True, text=True, timeout=GUARD)
    assert done.returncode == 0
    assert done.stdout == "rlimit-init: warning: cannot read /proc/self/mountinfo: permission denied\n"


# --- rlimits and capabilities -----------------------------------------------------------------

@pytest.mark.sets_rlimit_as
def test_raise_hard_as_root_in_a_user_namespace_is_refused_with_the_reason(tmp_path):
    skip_unless(shutil.which("unshare") is not None, "unshare (util-linux) is not installed")
    policy = write(tmp_path / "p.yaml", HEADER + "  raiseHard: true\n")
    done = subprocess.run(["prlimit", "--as=268435456:268435456", "unshare", "--user",
                           "--map-root-user", BIN, "check", "-p", policy],
                          capture_output=True, text=True, timeout=GUARD)
    if done.returncode != 77 and "unshare failed" in done.stderr:
        skip_unless(False, "user namespaces are not available here: " + done.stderr.strip())
    assert done.returncode == 77
    assert done.stdout.splitlines()[0] == (
        "rlimit-init: refused: the job asks for 512 MiB (536870912 bytes, ulimit -v 524288) of "
        "address space, but the hard limit is 256 MiB (268435456 bytes, ulimit -v 262144) and "
        "this process lacks CAP_SYS_RESOURCE to raise it")


# --- termination message path ------------------------------------------------------------------

@pytest.mark.sets_rlimit_as
@pytest.mark.parametrize("kind", ["directory", "dev-full", "read-only"])
def test_termination_path_that_cannot_be_written_changes_nothing(open_tmp, nobody_binary, kind):
    tmp_path = open_tmp
    target = tmp_path / "term"
    if kind == "directory":
        target.mkdir()
    elif kind == "dev-full":
        target = "/dev/full"  # every write fails with ENOSPC, as on a full filesystem
    else:
        skip_unless(os.geteuid() == 0, "starting as another user needs root")
        write(target, "")
        os.chmod(target, 0o444)
    policy = write(tmp_path / "p.yaml",
                   HEADER + f"report:\n  terminationMessagePath: {target}\n")
    os.chmod(policy, 0o644)
    prefix = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"] \
        if kind == "read-only" else []
    # prlimit, not setpriv, execs the binary, without root's CAP_DAC_OVERRIDE: as uid 65534 it
    # needs a copy it can reach, since a clone under /root (mode 0700) is root's alone.
    binary = nobody_binary if kind == "read-only" else BIN
    done = subprocess.run(prefix + ["prlimit", "--as=268435456:268435456", binary, "-p", policy,
                                    "--", "true"],
                          capture_output=True, text=True, timeout=GUARD)
    assert done.returncode == 77
    assert done.stderr.startswith("rlimit-init: refused: the job asks for 512 MiB")
