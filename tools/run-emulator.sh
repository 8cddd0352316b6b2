#!/usr/bin/env bash
# Starts the Binance futures emulator for config/emulator.yaml: HTTPS on 127.0.0.1:9443 with a
# self-signed certificate made on first use in var/emulator/. Ctrl-C stops it.
# The credentials default to the emulator's test pair; override them with
# BINANCE_EMULATOR_API_KEY / BINANCE_EMULATOR_API_SECRET (and use the same in BINANCE_API_*).
set -euo pipefail
cd "$(dirname "$0")/.."
emulator=${EMULATOR:-build/tools/binance-emulator}
if [ ! -x "$emulator" ]; then
  echo "run-emulator: $emulator not found; build first (make build)" >&2
  exit 1
fi
mkdir -p var/emulator
if [ ! -f var/emulator/cert.pem ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1" \
    -keyout var/emulator/key.pem -out var/emulator/cert.pem 2>/dev/null
  echo "run-emulator: made var/emulator/cert.pem (self-signed, 127.0.0.1)"
fi
exec "$emulator" --listen "${LISTEN:-127.0.0.1:9443}" --cert var/emulator/cert.pem --key var/emulator/key.pem "$@"
