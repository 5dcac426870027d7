#!/usr/bin/env bash
# The real control plane for the realk8s tests (tests/integration/realk8s/, run with
# MSV_REAL_K8S=1): builds kube-apiserver and kube-controller-manager 1.20.2 from Debian's
# source once (tests/realk8s/build.sh; cached in /var/cache/msv-k8s, a second run takes
# seconds), installs what the tests use beside them (etcd-server, iproute2 for the pods'
# network namespaces, openssl, curl), then starts and stops a control plane and makes and
# removes a network namespace, so a machine that can't run the suite fails here, loudly,
# rather than in the middle of the tests. Idempotent, non-interactive, run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."

log() { printf 'setup-k8s: %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

need=()
for p in etcd-server iproute2 openssl curl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends "${need[@]}" >&2 ||
    { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends "${need[@]}" >&2; } ||
    die "could not install ${need[*]}"
fi
command -v kubectl >/dev/null || bash tests/ci/setup-kubectl.sh

start=$(date +%s)
bin=$(tests/realk8s/build.sh) || die "building Kubernetes 1.20.2 (tests/realk8s/build.sh, output above)"
log "binaries in $bin ($(($(date +%s) - start)) s)"

ns=msvk-setup-$$
ip netns add "$ns" || die "ip netns add: the realk8s tests need root (CAP_NET_ADMIN) to give pods addresses"
ip netns del "$ns"

start=$(date +%s)
dir=$(tests/realk8s/cluster.sh start) || die "starting the control plane (tests/realk8s/cluster.sh, output above)"
trap 'tests/realk8s/cluster.sh stop "$dir"' EXIT
version=$(kubectl --kubeconfig "$dir/kubeconfig" version -o json | grep -o '"gitVersion": *"v1.20[^"]*"' | tail -n1) ||
  die "the control plane started but does not answer as 1.20"
log "control plane answers ($version) after $(($(date +%s) - start)) s"
