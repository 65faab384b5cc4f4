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
       g++ cmake make libyaml-cpp-dev libboost-program-options-dev nlohmann-json3-dev \
       googletest libgtest-dev \
       python3 file \
    && rm -rf /var/lib/apt/lists/*
ARG REVISION=unknown
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRLIMIT_INIT_COMMIT="${REVISION}" \
    && cmake --build build -j"$(nproc)"
# Only the unit tests: the black-box tests need root, a writable cgroup and runc, which a
# build container does not have.
RUN cd build && ctest --output-on-failure -E '^integration[.]'
# Fails unless `file` says the binary is statically linked, then writes it stripped, mode 0755,
# as /rootfs/rlimit-init.
RUN scripts/build-rootfs.sh --binary build/rlimit-init /rootfs

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
