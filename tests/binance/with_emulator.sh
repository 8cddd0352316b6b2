#!/usr/bin/env bash
# Runs a command against a freshly started Binance futures emulator over real HTTPS.
#
# Usage: with_emulator.sh <binance-emulator> <work-dir> -- <command> [args...]
#
# Makes a self-signed certificate for 127.0.0.1 in <work-dir>, starts the emulator on a free
# loopback port with random canary API credentials, and exports for the command:
#   BINANCE_EMULATOR_URL   https://127.0.0.1:<port>
#   BINANCE_EMULATOR_CA    the certificate to trust
#   BINANCE_API_KEY / BINANCE_API_SECRET   the credentials (what deployments reference)
#   TRADEHOST_CONTRACT_DEPLOYMENT          <work-dir>/deployment.yaml: one binance_futures venue
#   TRADEHOST_CONTRACT_DEFER_DEPLOYMENT    <work-dir>/deployment-paced.yaml: the same venue with an
#                                          order budget of 1 per 10 s, so it defers (the contract
#                                          suite's Deferred case); kept as given if already set
# With BINANCE_EMULATOR_HEDGE_MODE=1 the emulator's accounts start in hedge mode and both
# deployments say hedge_mode: true.
# The emulator is stopped when the command ends, whatever happens; its log is <work-dir>/emulator.log.
set -euo pipefail

if [ $# -lt 4 ] || [ "$3" != "--" ]; then
  echo "usage: $0 <binance-emulator> <work-dir> -- <command> [args...]" >&2
  exit 64
fi
emulator=$1
work=$2
shift 3
mkdir -p "$work"
work=$(cd "$work" && pwd)

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/key.pem" -out "$work/cert.pem" >"$work/openssl.log" 2>&1

BINANCE_API_KEY="canary-key-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
BINANCE_API_SECRET="canary-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export BINANCE_API_KEY BINANCE_API_SECRET

hedge_args=()
hedge_mode=false
if [ "${BINANCE_EMULATOR_HEDGE_MODE:-0}" = "1" ]; then
  hedge_args=(--hedge-mode)
  hedge_mode=true
fi

BINANCE_EMULATOR_API_KEY=$BINANCE_API_KEY BINANCE_EMULATOR_API_SECRET=$BINANCE_API_SECRET \
  "$emulator" --listen 127.0.0.1:0 --cert "$work/cert.pem" --key "$work/key.pem" "${hedge_args[@]}" \
  >"$work/emulator.out" 2>"$work/emulator.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT

url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^listening on \(https:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/emulator.out" | head -n 1)
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "with_emulator: the emulator exited early:" >&2
    cat "$work/emulator.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "with_emulator: the emulator did not start listening within 10 s" >&2
  exit 1
fi
export BINANCE_EMULATOR_URL=$url BINANCE_EMULATOR_CA=$work/cert.pem

cat >"$work/deployment.yaml" <<YAML
# Written by tests/binance/with_emulator.sh: one Binance venue on the local emulator.
webhook: { generate_secret: true }
venues:
  - name: bn
    type: binance_futures
    settings:
      base_url: "$url"
      api_key: "\${BINANCE_API_KEY}"
      api_secret: "\${BINANCE_API_SECRET}"
      ca_file: "$work/cert.pem"
      hedge_mode: $hedge_mode
YAML
export TRADEHOST_CONTRACT_DEPLOYMENT=$work/deployment.yaml

cat >"$work/deployment-paced.yaml" <<YAML
# Written by tests/binance/with_emulator.sh: the same venue, pacing its orders to 1 per 10 s.
webhook: { generate_secret: true }
venues:
  - name: bn
    type: binance_futures
    settings:
      base_url: "$url"
      api_key: "\${BINANCE_API_KEY}"
      api_secret: "\${BINANCE_API_SECRET}"
      ca_file: "$work/cert.pem"
      hedge_mode: $hedge_mode
      order_limit_per_10s: 1
YAML
if [ -z "${TRADEHOST_CONTRACT_DEFER_DEPLOYMENT+set}" ]; then
  export TRADEHOST_CONTRACT_DEFER_DEPLOYMENT=$work/deployment-paced.yaml
fi

set +e
"$@"
rc=$?
set -e
exit $rc
