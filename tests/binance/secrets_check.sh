#!/usr/bin/env bash
# Secret canaries: run tradehost against the emulator with debug logging (every request logged)
# and with a wrong secret (errors printed), and fail if the API key or secret appears anywhere.
# Run through with_emulator.sh, which sets the canary BINANCE_API_KEY / BINANCE_API_SECRET.
set -uo pipefail
tradehost=$1
work=$(dirname "$TRADEHOST_CONTRACT_DEPLOYMENT")
passed=0
failed=0
check() {  # check <description> <condition...>
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $what" >&2; fi
}

"$tradehost" --check-config "$TRADEHOST_CONTRACT_DEPLOYMENT" --log-level debug >"$work/ok.out" 2>&1
check "check-config against the emulator exits 0" test $? -eq 0
check "debug logging did log the signed requests (so the scan means something)" \
  grep -q "GET /fapi/v1/positionSide/dual" "$work/ok.out"

BINANCE_API_SECRET="${BINANCE_API_SECRET}-wrong" \
  "$tradehost" --check-config "$TRADEHOST_CONTRACT_DEPLOYMENT" --log-level debug >"$work/bad.out" 2>&1
check "a wrong secret is a configuration error (78)" test $? -eq 78
check "the error names the venue's answer" grep -q -- "-1022" "$work/bad.out"

"$tradehost" --describe-plugins >"$work/describe.out" 2>&1
for f in ok.out bad.out describe.out; do
  check "$f holds no API key" bash -c "! grep -qF -- '$BINANCE_API_KEY' '$work/$f'"
  check "$f holds no API secret" bash -c "! grep -qF -- '${BINANCE_API_SECRET:0:30}' '$work/$f'"
done
echo "secret canaries: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
