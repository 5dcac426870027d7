#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager from Debian's `kubernetes`
# source package with Debian's Go, once per machine. The binaries are cached
# outside the checkout; a second run only checks the cache and exits.
#
#   tests/realk8s/build.sh          # prints the cache directory on stdout
#
# Env: MSV_K8S_CACHE (default /var/cache/msv-k8s), MSV_K8S_WORK (build tree,
# default $MSV_K8S_CACHE/work; removed after a good build unless MSV_K8S_KEEP=1).
# Needs root for apt-get (installs golang-go, rsync, dpkg-dev, etcd-server).
set -euo pipefail

K8S_VERSION=1.20.2
CACHE_ROOT=${MSV_K8S_CACHE:-/var/cache/msv-k8s}
CACHE=$CACHE_ROOT/$K8S_VERSION
WORK=${MSV_K8S_WORK:-$CACHE_ROOT/work}
BINARIES=(kube-apiserver kube-controller-manager)
# Bumped whenever the way the binaries are built changes, so caches are redone.
RECIPE=2

log() { printf 'build.sh: %s\n' "$*" >&2; }

cached() {
  local b
  for b in "${BINARIES[@]}"; do
    [[ -x $CACHE/$b ]] || return 1
  done
  [[ $(cat "$CACHE/recipe" 2>/dev/null) == "$RECIPE" ]] || return 1
  "$CACHE/kube-apiserver" --version 2>/dev/null | grep -q "v$K8S_VERSION"
}

if cached; then
  log "cached in $CACHE"
  echo "$CACHE"
  exit 0
fi

need_pkgs=()
for p in golang-go rsync dpkg-dev etcd-server make; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need_pkgs+=("$p")
done
if ((${#need_pkgs[@]})); then
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends "${need_pkgs[@]}" >&2 ||
    { apt-get update >&2 && apt-get install -y --no-install-recommends "${need_pkgs[@]}" >&2; }
fi

# A private apt configuration with deb-src entries for the mirrors the
# system already uses; the system's own sources are left untouched.
APT=$CACHE_ROOT/apt
mkdir -p "$APT/sources.list.d" "$APT/lists/partial" "$APT/archives/partial"
rm -f "$APT/sources.list.d/"*
shopt -s nullglob
for f in /etc/apt/sources.list.d/*.sources; do
  sed -E 's/^Types:.*/Types: deb-src/' "$f" >"$APT/sources.list.d/$(basename "$f")"
done
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
  [[ -f $f ]] || continue
  sed -nE 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >"$APT/sources.list.d/$(basename "$f").list"
done
shopt -u nullglob
APT_OPTS=(
  -o "Dir::Etc::SourceList=/dev/null"
  -o "Dir::Etc::SourceParts=$APT/sources.list.d"
  -o "Dir::State::Lists=$APT/lists"
  -o "Dir::Cache::Archives=$APT/archives"
  -o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache="
)

start=$(date +%s)
log "fetching the kubernetes source package ($K8S_VERSION)"
apt-get "${APT_OPTS[@]}" update >&2
rm -rf "$WORK"
mkdir -p "$WORK/dl"
(cd "$WORK/dl" && apt-get "${APT_OPTS[@]}" source --download-only "kubernetes" >&2)
dsc=$(ls "$WORK"/dl/kubernetes_*.dsc | head -n1)
grep -q "$K8S_VERSION" <<<"$dsc" ||
  { log "expected kubernetes $K8S_VERSION, the archive has $(basename "$dsc")"; exit 2; }

GOPATH=$WORK/gopath
SRC=$GOPATH/src/k8s.io/kubernetes
mkdir -p "$(dirname "$SRC")"
dpkg-source --no-check --skip-patches -x "$dsc" "$SRC" >&2
# Debian's patches (vendoring fixes among them) are applied as in its build.
if [[ -f $SRC/debian/patches/series ]]; then
  (cd "$SRC" && while read -r p _; do
    [[ -z $p || $p == \#* ]] && continue
    patch -p1 -s --forward <"debian/patches/$p" >&2 || log "patch $p did not apply; continuing"
  done <debian/patches/series)
fi
log "source unpacked in $SRC after $(($(date +%s) - start)) s"

export GOPATH GO111MODULE=off GOPROXY=off CGO_ENABLED=0 GOFLAGS=
export GOCACHE=$CACHE_ROOT/gocache
cd "$SRC"
log "generating the OpenAPI definitions"
make gen_openapi >&2
# The version the binaries and the API server's /version report, set in both
# packages that hold it, as Kubernetes' own build does.
ldflags=""
for pkg in k8s.io/kubernetes/vendor/k8s.io/component-base/version \
  k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=20"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
mkdir -p "$CACHE.tmp"
for b in "${BINARIES[@]}"; do
  log "building $b"
  go build -p 2 -ldflags "-s -w $ldflags" -o "$CACHE.tmp/$b" "./cmd/$b" >&2
done
echo "$RECIPE" >"$CACHE.tmp/recipe"
rm -rf "$CACHE"
mv "$CACHE.tmp" "$CACHE"
cached || { log "built binaries do not report v$K8S_VERSION"; exit 1; }
[[ ${MSV_K8S_KEEP:-0} == 1 ]] || rm -rf "$WORK"
log "built in $(($(date +%s) - start)) s into $CACHE"
echo "$CACHE"
