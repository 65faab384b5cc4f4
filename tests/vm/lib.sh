# SPDX-License-Identifier: Apache-2.0
# Sourced by /init before each case script of the test VM (tests/vm/init.sh). A case runs in
# its own empty directory as real root, with "$OUT" a directory whose files are reported to
# the host, and ends with the exit status of its last command.

CG=/sys/fs/cgroup

# cg_make PATH [FILE=VALUE...]: creates the cgroup $CG/PATH and any missing parents, with the
# memory controller enabled in each parent so that PATH has memory.* files, then writes each
# VALUE into PATH's FILE (e.g. memory.max=268435456).
cg_make() {
  dir=$CG
  for part in $(echo "${1#/}" | tr / ' '); do
    grep -qw memory "$dir/cgroup.subtree_control" || echo +memory >"$dir/cgroup.subtree_control"
    dir=$dir/$part
    [ -d "$dir" ] || mkdir "$dir" || return 1
  done
  shift
  for setting in "$@"; do
    echo "${setting#*=}" >"$dir/${setting%%=*}" || return 1
  done
}

# cg_run PATH CMD [ARG...]: runs CMD in the cgroup $CG/PATH (a child shell moves itself in,
# then execs CMD), so that the case's own shell stays outside and sees how CMD ended.
cg_run() {
  procs=$CG${1%/}/cgroup.procs
  shift
  sh -c 'echo $$ >"$0" && exec "$@"' "$procs" "$@"
}
