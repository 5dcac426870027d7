#!/usr/bin/env bash
# Makes, from Debian's archive, the base images the built-in templates' Dockerfiles use,
# because nothing can be pulled from a registry here:
#   debian:bookworm-slim          debootstrap --variant=minbase, trimmed, `docker import`
#   python:3.11-slim-bookworm     the same rootfs + Debian's python3 (3.11), laid out like the
#                                 official image (python, python3, pip at /usr/local/bin)
# Idempotent: an image that already exists is left alone (set MSV_REBUILD_BASE_IMAGES=1 to
# remake them). Downloaded .deb files are cached in /var/cache/msv-debootstrap.
# The go-http image starts FROM scratch (nothing to make); the node-express and go-http
# build stages (node:*, golang:*) are not made here: see the templates' READMEs.
set -euo pipefail

SUITE=bookworm
CACHE=/var/cache/msv-debootstrap
IMAGES=(debian:bookworm-slim python:3.11-slim-bookworm)

log() { printf 'setup-base-images: %s\n' "$*" >&2; }

if ! command -v docker >/dev/null || ! docker info >/dev/null 2>&1; then
  log "no Docker engine reachable; nothing to do"
  exit 0
fi

missing=()
for image in "${IMAGES[@]}"; do
  if [[ "${MSV_REBUILD_BASE_IMAGES:-0}" == 1 ]] || ! docker image inspect "$image" >/dev/null 2>&1; then
    missing+=("$image")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  log "all base images present: ${IMAGES[*]}"
  exit 0
fi

# The Debian mirror this machine's apt uses (deb822 sources first, then sources.list).
mirror=$(grep -h -A3 -E '^Types:.*\bdeb\b' /etc/apt/sources.list.d/*.sources 2>/dev/null \
  | awk '/^URIs:/ {print $2}' | grep -E '/debian/?$' | head -n1 || true)
if [[ -z "$mirror" ]]; then
  mirror=$(grep -h -E '^deb [^ ]+ bookworm ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
fi
mirror=${mirror:-http://deb.debian.org/debian}

if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

work=$(mktemp -d /var/tmp/msv-base-images.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$CACHE"

# debootstrap ROOT [extra packages]
bootstrap() {
  local root=$1 include=${2:-}
  log "debootstrap $SUITE into $root from $mirror${include:+ with $include}"
  debootstrap --variant=minbase --cache-dir="$CACHE" ${include:+--include="$include"} \
    "$SUITE" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  # What the official slim images leave out: docs, man pages, apt lists and caches.
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/log/*.log "$root"/tmp/*
  printf 'deb %s %s main\n' "$mirror" "$SUITE" >"$root/etc/apt/sources.list"
  : >"$root/etc/resolv.conf"
}

# The image trusts the CAs this machine trusts locally (/usr/local/share/ca-certificates, e.g.
# an egress proxy's), as the machine itself does, so that `pip install` in a build reaches PyPI.
trust_local_cas() {
  local root=$1
  compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null || return 0
  mkdir -p "$root/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1 \
    || { log "update-ca-certificates failed in $root"; exit 1; }
}

import() {
  local root=$1 image=$2; shift 2
  log "importing $image"
  tar --numeric-owner -C "$root" -c . | docker import "$@" - "$image" >/dev/null
}

for image in "${missing[@]}"; do
  case "$image" in
    debian:bookworm-slim)
      bootstrap "$work/debian"
      import "$work/debian" "$image" --change 'CMD ["bash"]'
      rm -rf "$work/debian"
      ;;
    python:3.11-slim-bookworm)
      bootstrap "$work/python" python3,python3-venv,ca-certificates,netbase,tzdata
      for exe in python python3; do ln -sf /usr/bin/python3 "$work/python/usr/local/bin/$exe"; done
      trust_local_cas "$work/python"
      # The official image's pip installs anywhere; Debian marks the system Python as externally
      # managed. Dockerfiles use a venv either way, so only python is required at that path.
      import "$work/python" "$image" \
        --change 'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'ENV PYTHON_VERSION=3.11' \
        --change 'CMD ["python3"]'
      rm -rf "$work/python"
      ;;
  esac
done
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^($(IFS='|'; echo "${IMAGES[*]}"))" >&2 || true
