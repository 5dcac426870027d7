#!/bin/sh
# Makes sure kubectl, a real client, is there for the fake API server's fidelity tests
# (tests/integration/fake_api/fidelity_kubectl.rs), which CI (CI=true) requires.
#
# The machine image ships kubectl 1.32 as /usr/bin/kubectl (package "kubectl"). Debian's
# kubernetes-client (1.20) would be an older second client; it is installed only when it
# would not take over /usr/bin/kubectl. Idempotent, non-interactive, run as root.
set -eu

export DEBIAN_FRONTEND=noninteractive

client_pkg_ships_usr_bin_kubectl() {
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    (cd "$tmp" && apt-get download -q kubernetes-client >/dev/null 2>&1) || return 2
    if dpkg-deb -c "$tmp"/kubernetes-client_*.deb | awk '{print $NF}' | grep -qx './usr/bin/kubectl'; then
        return 0
    fi
    return 1
}

if dpkg -s kubernetes-client >/dev/null 2>&1; then
    echo "setup-kubectl: kubernetes-client already installed"
elif command -v kubectl >/dev/null 2>&1; then
    owner=$(dpkg -S "$(readlink -f "$(command -v kubectl)")" 2>/dev/null | cut -d: -f1 || true)
    [ -n "$owner" ] || owner=$(dpkg -S /usr/bin/kubectl 2>/dev/null | cut -d: -f1 || true)
    echo "setup-kubectl: kubectl present (package: ${owner:-none}): $(kubectl version --client 2>/dev/null | head -n1)"
    apt-get update -q >/dev/null
    if client_pkg_ships_usr_bin_kubectl; then
        echo "setup-kubectl: skipping Debian's kubernetes-client: it would replace /usr/bin/kubectl"
    else
        status=$?
        if [ "$status" = 1 ]; then
            apt-get install -y -q --no-install-recommends kubernetes-client
        else
            echo "setup-kubectl: could not inspect kubernetes-client; leaving the present kubectl alone"
        fi
    fi
else
    echo "setup-kubectl: no kubectl on PATH; installing Debian's kubernetes-client"
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends kubernetes-client
fi

kubectl version --client
