# SPDX-License-Identifier: Apache-2.0
# rlimit-init image: a static binary alone in an otherwise empty filesystem.
#
#   docker build -t rlimit-init:0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
#
# VERSION (default: this release) and REVISION (the commit; default "unknown") fill the OCI
# image labels org.opencontainers.image.version and .revision, and REVISION is also the commit
# the binary's --version names (the build context holds no .git to read it from).
#
# Use it as the ENTRYPOINT of your own image (COPY --from=rlimit-init /rlimit-init ...) or as
# the init container image of charts/rlimit-init; docs/containers.md shows both.
#
# The final stage is the filesystem that scripts/build-rootfs.sh writes, because the build
# stage runs that same script; tests/integration/test_runc_image.py checks this file's final stage
# and runs the script's output under runc.

FROM debian:bookworm AS build
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
       g++ cmake make libyaml-cpp-dev libboost-program-options-dev nlohmann-json3-dev file \
    && rm -rf /var/lib/apt/lists/*
COPY . /src
ARG REVISION=unknown
# The binary alone, without the unit tests: CI runs them on this same Debian toolchain three
# times (on the host, under the sanitizers, and in a fresh minbase bookworm root), and building
# them here would more than double the compile. One RUN, and no WORKDIR: a builder that stores
# layers on vfs copies the whole filesystem for every instruction, cached or not.
# build-rootfs.sh fails unless `file` says the binary is statically linked, then writes it
# stripped, mode 0755, as /rootfs/rlimit-init.
RUN cd /src \
    && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRLIMIT_INIT_TESTS=OFF \
       -DRLIMIT_INIT_COMMIT="${REVISION}" \
    && cmake --build build --target rlimit-init -j"$(nproc)" \
    && scripts/build-rootfs.sh --binary build/rlimit-init /rootfs

FROM scratch
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="rlimit-init" \
      org.opencontainers.image.description="Raises RLIMIT_AS per a policy, checked against the cgroup memory limit, then execs the workload" \
      org.opencontainers.image.source="https://github.com/rlimit-init/rlimit-init" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}"
COPY --from=build /rootfs/rlimit-init /rlimit-init
# 65532 is the "nonroot" user of distroless images; the init container copies the binary out
# and the ENTRYPOINT use runs it, neither needs root.
USER 65532:65532
ENTRYPOINT ["/rlimit-init"]
