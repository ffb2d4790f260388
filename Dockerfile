# syntax=docker/dockerfile:1
# The Sluice image: `docker build -t sluice .` (BuildKit, the default builder since Docker 23).
#
# Three stages: `build` compiles the release binary with the Swift standard library linked in
# statically, `tools` fetches kubectl and helm at pinned versions and checks their SHA-256, and the
# last stage is a slim Debian with only the shared libraries the binary links, the two tools and a
# non-root user. No Docker engine runs where Sluice is developed: scripts/image-check builds the
# same binary, installs RUNTIME_PACKAGES (read from this file) into a bookworm root made with
# debootstrap and runs a real sync in it as the image's user (Docs/in-cluster.md, "The image").

# ---------------------------------------------------------------------------------------------
# build: the toolchain the project is developed and tested with (Swift 6.3.1 on Debian bookworm).
FROM swift:6.3.1-bookworm AS build

# The C libraries Package.swift's system-library targets link (as scripts/bootstrap installs them):
# libgit2 (Git), libcurl (HTTP for Git and Kubernetes), SQLite (the ledger, through GRDB), zlib;
# pkg-config finds libgit2's and libcurl's flags.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libgit2-dev libcurl4-openssl-dev libsqlite3-dev zlib1g-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# Resolve the dependencies in a layer of their own, rebuilt only when Package.swift changes.
# Package.resolved is not committed (see .gitignore), so this resolves each `from:` range afresh.
COPY Package.swift ./
RUN swift package resolve
# SwiftPM loads every target of the manifest, so the test targets' sources must be present too.
COPY Sources ./Sources
COPY Tests ./Tests
# --static-swift-stdlib links the Swift runtime and Foundation into the binary, so the runtime
# stage needs no Swift toolchain, only the C libraries below. A release build keeps DWARF debug
# information (about 80 of its 200 MB); --strip-debug drops it and keeps the symbol table, so a
# crash report still names functions. Every function gets a section of its own (Swift's
# -function-sections, clang's for the C targets), so that the link can put the code the agent runs
# together (Package.swift's symbol-ordering file). scripts/image-check runs these same commands.
RUN swift build -c release --product sluice --static-swift-stdlib -Xswiftc -Xfrontend -Xswiftc -function-sections -Xcc -ffunction-sections \
    && install -D -m 0755 .build/release/sluice /out/sluice \
    && strip --strip-debug /out/sluice

# ---------------------------------------------------------------------------------------------
# tools: kubectl (Sluice runs `kubectl kustomize` to render Kustomize overlays) and helm (for
# `helm template`), the official release binaries. Bump a version together with its checksums,
# which the release pages publish beside each file (kubectl: the .sha256 file next to the binary;
# helm: the .sha256sum next to the archive).
FROM debian:bookworm-slim AS tools
# Set by BuildKit to the platform being built (amd64, arm64).
ARG TARGETARCH
ARG KUBECTL_VERSION=v1.37.1
ARG KUBECTL_SHA256_AMD64=65691ff77eb6fa44c908b77a1082c9f092c3b9733b5cefabec0d1104890e21a8
ARG KUBECTL_SHA256_ARM64=ff749f4b78d9c4f1ec87307df9b50119ed819e2094aa9810cb9acffc3286c8c7
# Helm 3, as the tests use (scripts/bootstrap installs 3.17): its last minor release.
ARG HELM_VERSION=v3.22.0
ARG HELM_SHA256_AMD64=1e4ab49e429626cf6c6958d914248b78c9730803c2751b87627e171dc800e7bb
ARG HELM_SHA256_ARM64=f14e804dfee240f55525b667488fe9adca349e63e00c9af634c0beb1421ac310
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
# bash with pipefail, so that a failed download or checksum in a pipeline fails the step.
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
RUN case "$TARGETARCH" in \
        amd64) kubectl_sha256="$KUBECTL_SHA256_AMD64"; helm_sha256="$HELM_SHA256_AMD64" ;; \
        arm64) kubectl_sha256="$KUBECTL_SHA256_ARM64"; helm_sha256="$HELM_SHA256_ARM64" ;; \
        *) echo "no pinned kubectl and helm for architecture '$TARGETARCH'" >&2; exit 1 ;; \
    esac; \
    curl -fsSL -o /tmp/kubectl "https://dl.k8s.io/release/${KUBECTL_VERSION}/bin/linux/${TARGETARCH}/kubectl"; \
    echo "${kubectl_sha256}  /tmp/kubectl" | sha256sum -c -; \
    curl -fsSL -o /tmp/helm.tar.gz "https://get.helm.sh/helm-${HELM_VERSION}-linux-${TARGETARCH}.tar.gz"; \
    echo "${helm_sha256}  /tmp/helm.tar.gz" | sha256sum -c -; \
    tar -xzf /tmp/helm.tar.gz -C /tmp "linux-${TARGETARCH}/helm"; \
    install -D -m 0755 /tmp/kubectl /out/kubectl; \
    install -D -m 0755 "/tmp/linux-${TARGETARCH}/helm" /out/helm

# ---------------------------------------------------------------------------------------------
# The image.
FROM debian:bookworm-slim

# The packages of the shared libraries the binary needs: libgit2 and libcurl, which it opens on
# first use (dlopen of libgit2.so.1.5 and libcurl.so.4; Docs/architecture.md), and those it names
# (readelf -d: SQLite, zlib, libstdc++, libgcc_s, libc; the last three are in the base image
# already, listed so that this is the binary's whole need), whose own dependencies apt brings
# (OpenSSL, libssh2, mbed TLS, nghttp2, ...), and the CA certificates for HTTPS to Git servers and
# the Kubernetes API. No git: Sluice speaks Git through libgit2. scripts/image-check installs this
# list, read from this line, and checks that `ldd` then finds every library the binary names and
# that `sluice version` opens libgit2 and libcurl.
ARG RUNTIME_PACKAGES="ca-certificates libc6 libcurl4 libgcc-s1 libgit2-1.5 libsqlite3-0 libstdc++6 zlib1g"
RUN apt-get update \
    && apt-get install -y --no-install-recommends ${RUNTIME_PACKAGES} \
    && rm -rf /var/lib/apt/lists/*

# The programs that verify commit and tag signatures (`verify:`, Docs/git-sources.md, "Signed
# commits"), the ones `git verify-commit` runs: gpgv (and gpg, to dearmor armored keys) for
# OpenPGP, ssh-keygen for SSH. Not libraries of the binary, so not in the list above.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gpg gpgv openssh-client \
    && rm -rf /var/lib/apt/lists/*

# The user and group 65532 of the chart's podSecurityContext (Charts/sluice/values.yaml), with the
# state directory (mirrors, the ledger) as its home; the chart mounts a volume there. (useradd
# warns that 65532 is above UID_MAX, the top of the range it picks from: harmless.)
RUN groupadd --gid 65532 sluice \
    && useradd --uid 65532 --gid 65532 --home-dir /var/lib/sluice --no-create-home \
        --shell /usr/sbin/nologin sluice \
    && install -d -o 65532 -g 65532 -m 0750 /var/lib/sluice

COPY --from=tools /out/kubectl /out/helm /usr/local/bin/
COPY --from=build /out/sluice /usr/local/bin/sluice

# kubectl and helm keep caches and settings under $HOME: the state directory is writable even on a
# read-only root file system (the chart's securityContext).
ENV HOME=/var/lib/sluice
WORKDIR /var/lib/sluice
# Numeric, so that Kubernetes can check runAsNonRoot against the image itself.
USER 65532:65532
ENTRYPOINT ["sluice"]
# Without arguments, list the commands; the chart passes `agent ...`.
CMD ["--help"]

# The chart's appVersion; pass --build-arg REVISION="$(git rev-parse HEAD)" to record the commit.
ARG VERSION=0.1.0
ARG REVISION=""
LABEL org.opencontainers.image.title="sluice" \
      org.opencontainers.image.description="A GitOps agent: delivers each new commit of a Git repository to Kubernetes, with Argo CD's hooks and waves and a per-commit ledger" \
      org.opencontainers.image.source="https://github.com/sluice-gitops/sluice" \
      org.opencontainers.image.url="https://github.com/sluice-gitops/sluice" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/debian:bookworm-slim"
