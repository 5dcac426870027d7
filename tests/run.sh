#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need, then runs them.
#
# As root (CI, a fresh VM) it first runs every tests/ci/*.sh: Debian packages, locally made
# Docker base images (nothing can be pulled), toolchains for the generated services. Each
# script is idempotent, so a second run takes seconds. As another user it skips that step;
# tests whose parts are missing then skip and say why (unless CI=true or
# MSV_REQUIRE_DOCKER=1, where they fail). tests/ci/setup-k8s.sh builds Kubernetes 1.20.2
# from source the first time (about 15 minutes); with MSV_REAL_K8S=1 (set by .ci/run) the
# realk8s tests run against it and fail if it can't be built or started.
#
# Extra arguments go to `cargo test`, e.g. `bash tests/run.sh config::`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

if [ "$(id -u)" = 0 ]; then
    for script in tests/ci/*.sh; do
        [ -e "$script" ] || continue
        echo "== setup: $script" >&2
        start=$(date +%s)
        bash "$script"
        echo "== setup: $script done in $(( $(date +%s) - start ))s" >&2
    done
else
    echo "== not root: skipping tests/ci/*.sh (packages, base images); see README 'Testing'" >&2
fi

cargo test --locked "$@"
