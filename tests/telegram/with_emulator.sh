#!/usr/bin/env bash
# Runs a command against a freshly started Telegram Bot API emulator over real HTTPS.
#
# Usage: with_emulator.sh <telegram-emulator> <work-dir> -- <command> [args...]
#
# Makes a self-signed certificate for 127.0.0.1 in <work-dir>, starts the emulator on a free
# loopback port with a random canary bot token and one chat, and exports for the command:
#   TELEGRAM_EMULATOR_URL   https://127.0.0.1:<port>
#   TELEGRAM_EMULATOR_CA    the certificate to trust
#   TELEGRAM_BOT_TOKEN / TELEGRAM_CHAT_ID   what deployments reference
#   TRADEHOST_CONTRACT_DEPLOYMENT           <work-dir>/deployment.yaml: one telegram alert sink
# The emulator is stopped when the command ends, whatever happens; its log is <work-dir>/emulator.log.
set -euo pipefail

if [ $# -lt 4 ] || [ "$3" != "--" ]; then
  echo "usage: $0 <telegram-emulator> <work-dir> -- <command> [args...]" >&2
  exit 64
fi
emulator=$1
work=$2
shift 3
mkdir -p "$work"
work=$(cd "$work" && pwd)

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$work/key.pem" -out "$work/cert.pem" >"$work/openssl.log" 2>&1

TELEGRAM_BOT_TOKEN="$((RANDOM * 32768 + RANDOM)):CANARY$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
TELEGRAM_CHAT_ID=${TELEGRAM_CHAT_ID:-4242}
export TELEGRAM_BOT_TOKEN TELEGRAM_CHAT_ID

"$emulator" --listen 127.0.0.1:0 --cert "$work/cert.pem" --key "$work/key.pem" \
  --token "$TELEGRAM_BOT_TOKEN" --chat "$TELEGRAM_CHAT_ID" \
  >"$work/emulator.out" 2>"$work/emulator.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT

url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's/^telegram-emulator listening on \(https:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$work/emulator.out" | head -n 1)
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
export TELEGRAM_EMULATOR_URL=$url TELEGRAM_EMULATOR_CA=$work/cert.pem

cat >"$work/deployment.yaml" <<YAML
# Written by tests/telegram/with_emulator.sh: one Telegram alert sink on the local emulator.
webhook: { generate_secret: true }
alerts:
  - name: tg
    type: telegram
    settings:
      token: "\${TELEGRAM_BOT_TOKEN}"
      chat_id: "\${TELEGRAM_CHAT_ID}"
      base_url: "$url"
      ca_file: "$work/cert.pem"
      request_timeout_ms: 3000
YAML
export TRADEHOST_CONTRACT_DEPLOYMENT=$work/deployment.yaml

set +e
"$@"
rc=$?
set -e
exit $rc
