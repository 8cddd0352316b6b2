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
  prometheus                                       # promtool only: tests check /metrics and the alert rules
)
# Wanted for a command rather than a package: the package is installed only when the command is
# missing, so a Node.js from elsewhere (whose nodejs package bundles npm and conflicts with
# Debian's npm) counts as present.
commands=(
  chromium:chromium                                # the browser test drives it headless (never downloaded)
  node:nodejs npm:npm                              # the browser test: puppeteer-core from tests/browser's lockfile
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
for c in "${commands[@]}"; do
  command -v "${c%%:*}" >/dev/null || missing+=("${c#*:}")
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
# `prometheus` is wanted for its promtool, not its server: its postinst must not start one. A
# policy-rc.d answering 101 ("not allowed") is what invoke-rc.d and deb-systemd-invoke ask first
# (in a container nothing would ever stop the daemon); it exists only while apt runs.
policy=""
if [[ " ${missing[*]} " == *" prometheus "* && ! -e /usr/sbin/policy-rc.d ]]; then
  policy=/usr/sbin/policy-rc.d
  trap '$sudo rm -f "$policy"' EXIT
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
# On a systemd machine the unit would still start at the next boot: not ours to run.
if [ -n "$policy" ] && [ -d /run/systemd/system ]; then
  $sudo systemctl disable --quiet prometheus.service || true
fi
