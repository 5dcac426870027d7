#!/usr/bin/env bash
# Prepares what the image tests need on a fresh Debian machine whose Docker engine runs
# but can pull nothing: a tiny base image made locally from Debian's busybox-static, the
# registry program (Debian's docker-registry; the tests start their own instances on
# 127.0.0.1) and htpasswd for its basic auth. Idempotent and non-interactive.
set -euo pipefail

BASE_IMAGE="${MSV_TEST_BASE_IMAGE:-msv-test/busybox:1}"

missing=()
command -v busybox >/dev/null 2>&1 || missing+=(busybox-static)
command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
if [ "${#missing[@]}" -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The package may start its own registry on :5000 where an init system runs; the tests
# start their own, so that one is not needed.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
    systemctl stop docker-registry || true
fi

if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root"
    chmod 1777 "$root/tmp"
    cp "$(command -v busybox)" "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
    tar -C "$root" -c . | docker import \
        --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - "$BASE_IMAGE" >/dev/null
    echo "made $BASE_IMAGE"
fi
docker image inspect "$BASE_IMAGE" --format '{{.Id}}' >/dev/null
