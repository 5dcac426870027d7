#!/usr/bin/env bash
# Installs the toolchains the generated-service tests (MSV_TOOLCHAIN_TESTS=1) build and run
# the built-in templates with, from Debian's archive only:
#   python-fastapi  python3 + python3-venv (the test makes a venv under target/ from PyPI)
#   go-http         Go 1.19 and the Go modules Debian packages (client_golang, otel 1.1) in
#                   /usr/share/gocode; built in GOPATH mode as no module proxy is reachable
#   node-express    Express from Debian (node-express); node itself if none is installed
# Idempotent and quick when everything is there.
set -euo pipefail

packages=(python3 python3-venv golang-go golang-github-prometheus-client-golang-dev
  golang-opentelemetry-otel-dev node-express)
command -v node >/dev/null || packages+=(nodejs)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup-toolchains: all present" >&2
  exit 0
fi
echo "setup-toolchains: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
