#!/bin/busybox sh
# SPDX-License-Identifier: Apache-2.0
# /init of the test VM (tests/integration/vm_machine.py builds the initramfs and reads the
# results). Runs as PID 1, real root with every capability in the initial user namespace.
#
# Mounts /proc, /sys, /dev, /tmp and a pure cgroup2 hierarchy at /sys/fs/cgroup with the memory
# controller enabled for the root's children, then runs every /cases/NAME script in name order,
# each in its own directory, with its stdout, stderr and exit status captured, and reports on
# the second serial port (/dev/ttyS1), which nothing else writes to:
#   @@vm begin NAME
#   @@vm stdout NAME BASE64       the case's whole stdout (nothing after NAME when empty)
#   @@vm stderr NAME BASE64
#   @@vm file NAME FILE BASE64    each file the case left in "$OUT"
#   @@vm end NAME STATUS          the case's exit status
#   @@vm finished COUNT
# then powers off. The kernel's messages and this script's own go to the console (ttyS0).
# Should anything here fail, PID 1 exits, the kernel panics (panic=-1) and qemu stops
# (-no-reboot): the host sees no "finished" line and shows the console.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t cgroup2 cgroup2 /sys/fs/cgroup
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
stty -F /dev/ttyS1 raw -echo
exec 3>/dev/ttyS1

encode() { base64 -w 0 <"$1"; }

count=0
for script in /cases/*; do
  name=${script##*/}
  dir=/tmp/cases/$name
  mkdir -p "$dir/work" "$dir/out"
  echo "@@vm begin $name" >&3
  # A case that hangs is stopped after a minute; the others still run.
  (cd "$dir/work" && OUT="$dir/out" timeout 60 sh -c '. /vm/lib.sh && . "$0"' "$script" \
    >"$dir/stdout" 2>"$dir/stderr" </dev/null)
  status=$?
  echo "@@vm stdout $name $(encode "$dir/stdout")" >&3
  echo "@@vm stderr $name $(encode "$dir/stderr")" >&3
  for file in "$dir"/out/*; do
    [ -f "$file" ] && echo "@@vm file $name ${file##*/} $(encode "$file")" >&3
  done
  echo "@@vm end $name $status" >&3
  count=$((count + 1))
done
echo "@@vm finished $count" >&3
exec 3>&-
poweroff -f
