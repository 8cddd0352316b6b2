#!/usr/bin/env bash
# The browser test's node_modules, in the build directory (never the source tree): npm ci from the
# committed lockfile, run again only when the lockfile changed. puppeteer-core downloads no browser.
# Usage: npm_setup.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 dest=$2

for tool in node npm; do
  command -v "$tool" >/dev/null || {
    echo "browser test: '$tool' is not installed; run tools/install-deps.sh (make deps)" >&2; exit 1; }
done
chromium=${CHROMIUM_BIN:-/usr/bin/chromium}
[ -x "$chromium" ] || {
  echo "browser test: no chromium at $chromium; run tools/install-deps.sh (make deps)" >&2; exit 1; }

mkdir -p "$dest"
stamp="$dest/node_modules/.tradehost-lock"
want=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "browser test: node_modules up to date ($(node --version), $("$chromium" --version 2>/dev/null))"
  exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$dest/"
cd "$dest"
# --prefer-offline: a second build directory on this machine installs from npm's cache.
npm ci --no-audit --no-fund --prefer-offline --loglevel=error
echo "$want" > "$stamp"
echo "browser test: installed puppeteer-core $(node -p 'require("puppeteer-core/package.json").version') into $dest/node_modules"
