#!/usr/bin/env bash
# Makes `rust:1-slim-bookworm` locally — the build stage of the rust-axum template's
# Dockerfile — because nothing can be pulled from a registry here. It is debian:bookworm-slim
# (made by setup-base-images.sh, run first when the image is missing) plus gcc, libc6-dev and
# ca-certificates from Debian's archive, the CAs this machine trusts locally (so cargo
# reaches crates.io through the same egress as the host), and this machine's stable Rust
# toolchain copied from /root/.rustup and /root/.cargo/bin (docs left out), laid out like the
# official image (RUSTUP_HOME=/usr/local/rustup, CARGO_HOME=/usr/local/cargo).
# Idempotent: an existing image is left alone (MSV_REBUILD_RUST_IMAGE=1 remakes it).
set -euo pipefail

IMAGE=rust:1-slim-bookworm
BASE=debian:bookworm-slim
RUSTUP=${RUSTUP_HOME:-/root/.rustup}
CARGO_BIN=${CARGO_HOME:-/root/.cargo}/bin
here=$(cd "$(dirname "$0")" && pwd)

log() { printf 'setup-rust-image: %s\n' "$*" >&2; }

if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
  log "no Docker engine reachable; nothing to do"
  exit 0
fi
if [[ "${MSV_REBUILD_RUST_IMAGE:-0}" != 1 ]] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE present"
  exit 0
fi

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  if [[ -x "$here/setup-base-images.sh" || -f "$here/setup-base-images.sh" ]]; then
    log "$BASE missing; running setup-base-images.sh"
    bash "$here/setup-base-images.sh"
  fi
fi
if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  log "$BASE missing; making it with debootstrap --variant=minbase"
  if ! command -v debootstrap >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  root=$(mktemp -d /var/tmp/msv-bookworm.XXXXXX)
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/dev/null
  rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
  printf 'deb http://deb.debian.org/debian bookworm main\n' >"$root/etc/apt/sources.list"
  tar -C "$root" -c . | docker import - "$BASE" >/dev/null
  rm -rf "$root"
fi

toolchain=$(awk -F'"' '/^default_toolchain/ {print $2}' "$RUSTUP/settings.toml")
toolchain=${toolchain:-stable-x86_64-unknown-linux-gnu}
if [[ ! -d "$RUSTUP/toolchains/$toolchain" ]]; then
  log "no Rust toolchain at $RUSTUP/toolchains/$toolchain"
  exit 1
fi

ctx=$(mktemp -d /var/tmp/msv-rust-image.XXXXXX)
trap 'rm -rf "$ctx"' EXIT
log "copying toolchain $toolchain (without docs)"
mkdir -p "$ctx/rustup/toolchains" "$ctx/cargo/bin" "$ctx/certs"
tar -C "$RUSTUP/toolchains" --exclude="$toolchain/share/doc" -c "$toolchain" | tar -C "$ctx/rustup/toolchains" -x
printf 'version = "12"\ndefault_toolchain = "%s"\nprofile = "minimal"\nauto_self_update = "disable"\n' \
  "$toolchain" >"$ctx/rustup/settings.toml"
cp -a "$CARGO_BIN"/{cargo,rustc,rustdoc,rustup} "$ctx/cargo/bin/"
cp /usr/local/share/ca-certificates/*.crt "$ctx/certs/" 2>/dev/null || true

cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $BASE
RUN apt-get update \\
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gcc libc6-dev ca-certificates \\
 && rm -rf /var/lib/apt/lists/*
COPY certs/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
COPY rustup/ /usr/local/rustup/
COPY cargo/ /usr/local/cargo/
RUN cargo --version && rustc --version
DOCKERFILE

log "building $IMAGE"
DOCKER_BUILDKIT=0 docker build --network host -q -t "$IMAGE" "$ctx" >/dev/null
log "made $IMAGE: $(docker run --rm "$IMAGE" rustc --version)"
