#!/usr/bin/env bash
# metrics.promtool: `promtool check metrics` on the host's /metrics text, and `promtool check rules`
# plus `promtool test rules` on config/prometheus-alerts.yml. promtool comes with Debian's
# `prometheus` package, which tools/install-deps.sh installs: missing, the test fails.
# Usage: promtool_check.sh SAMPLE_BINARY RULES_FILE RULES_TEST_FILE
set -euo pipefail
sample=$1 rules=$2 rules_test=$3
if ! command -v promtool >/dev/null; then
  echo "promtool not found: install Debian's 'prometheus' package (tools/install-deps.sh does)" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$sample" > "$out/metrics.txt"
echo "promtool check metrics ($(grep -c -v '^#' "$out/metrics.txt") samples):"
# promtool prints lint problems and exits non-zero on them or on a parse error.
promtool check metrics < "$out/metrics.txt"
promtool check rules "$rules"
# The rules' own unit tests are written against the rules file by name: run them beside a copy.
cp "$rules" "$out/prometheus-alerts.yml"
cp "$rules_test" "$out/prometheus-alerts.test.yml"
promtool test rules "$out/prometheus-alerts.test.yml"
echo "ok"
