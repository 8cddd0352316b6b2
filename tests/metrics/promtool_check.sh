#!/usr/bin/env bash
# metrics.promtool: `promtool check metrics` on the host's /metrics text, and `promtool check rules`
# plus `promtool test rules` on config/prometheus-alerts.yml. promtool comes with Debian's
# `prometheus` package, which tools/install-deps.sh installs: missing, the test fails.
# Usage: promtool_check.sh SAMPLE_BINARY METRICS_TEST_BINARY RULES_FILE RULES_TEST_FILE
# (the sample uses every instrument, label escaping included; the test's [host] case runs a whole
# host with the paper venue and writes what it serves.)
set -euo pipefail
sample=$1 metrics_test=$2 rules=$3 rules_test=$4
if ! command -v promtool >/dev/null; then
  echo "promtool not found: install Debian's 'prometheus' package (tools/install-deps.sh does)" >&2
  exit 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$sample" > "$out/metrics.txt"
TRADEHOST_METRICS_OUT="$out/host.txt" "$metrics_test" "[host]" > "$out/host-test.log" || {
  cat "$out/host-test.log" >&2; exit 1; }
for f in metrics.txt host.txt; do
  echo "promtool check metrics on $f ($(grep -c -v '^#' "$out/$f") samples)"
  # promtool prints lint problems and exits non-zero on them or on a parse error.
  promtool check metrics < "$out/$f"
done
promtool check rules "$rules"
# The rules' own unit tests are written against the rules file by name: run them beside a copy.
cp "$rules" "$out/prometheus-alerts.yml"
cp "$rules_test" "$out/prometheus-alerts.test.yml"
promtool test rules "$out/prometheus-alerts.test.yml"
echo "ok"
