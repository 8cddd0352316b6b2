#!/usr/bin/env bash
# Installs the Debian 12 packages the benchmarks (`make bench`, bench/run.sh) need, and only those
# missing. Called by `make bench` after tools/install-deps.sh (the build's own packages); safe to
# run again: it does nothing when all are present. Works as root or as a user with sudo.
#
# Usage: tools/install-bench-deps.sh [--help]
#
# What each package is for:
#   nginx    the HTTP reference server (bench/run.sh runs its own instance as the current user, on a
#            free loopback port, with a config generated in a temporary directory). Debian 12's
#            plain `nginx` package carries the binary with the rewrite module, whose `return`
#            directive is all the reference needs; nginx-light only adds the echo module.
#            Note: on a machine with systemd, Debian's package enables and starts the stock
#            nginx.service on port 80 when it is first installed; the benchmarks never use it
#            (stop it with `systemctl disable --now nginx` if you do not want it).
#   wrk      closed-loop HTTP load generator with Lua scripting (intake throughput)
#   jq       reads the one-line JSON results of bench/rate_sender and bench/bench_report
#   strace   counts fdatasync calls per acknowledged signal (one optional, separate run)
#   curl     readiness probes and the emulator's ledger; openssl: the emulator's certificate
set -euo pipefail

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

packages=(nginx wrk jq strace curl openssl)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "tradehost bench: installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then sudo="sudo"; else
    echo "tradehost bench: need root (or sudo) to install: ${missing[*]}" >&2; exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
