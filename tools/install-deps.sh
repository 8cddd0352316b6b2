#!/usr/bin/env bash
# Installs the Debian 12 packages tradehost builds and tests with, and only those missing.
# Called by `make run` and `make test`; safe to run again (it does nothing when all are present).
set -euo pipefail

packages=(
  g++ cmake make                                   # toolchain
  libpoco-dev                                      # Net, NetSSL, Crypto, JSON, Util, Data/SQLite
  libboost-dev libboost-filesystem-dev             # Boost.DLL (header-only) + filesystem
  libyaml-cpp-dev                                  # deployments
  catch2                                           # tests (v2)
  openssl curl                                     # test certificates; the printed curl example
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "tradehost: installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "tradehost: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
