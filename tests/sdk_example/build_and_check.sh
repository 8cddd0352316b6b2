#!/usr/bin/env bash
# Builds sdk/examples/hello_venue out of tree against the SDK alone, then has tradehost load it.
#
# Usage: build_and_check.sh <tradehost-binary> <source-root> <scratch-dir>
#
# Proves what sdk/README.md promises a plugin author: the example configures with nothing but
# -Dtradehost-sdk_DIR=<source-root>/sdk/cmake, builds without warnings into tradehost_hello.so,
# depends on nothing but the C++ runtime, shows up in --describe-plugins, passes --check-config,
# and a misspelt setting fails --check-config with exit code 78 naming the key and the line.
# Everything is written under <scratch-dir>; <scratch-dir>/build is recreated on every run.
set -euo pipefail

if [[ $# -ne 3 ]]; then
    echo "usage: $0 <tradehost-binary> <source-root> <scratch-dir>" >&2
    exit 64
fi

die() {
    echo "sdk example: FATAL: $*" >&2
    exit 1
}

tradehost=$(realpath -e -- "$1") || die "tradehost binary '$1' does not exist"
source_root=$(realpath -e -- "$2") || die "source root '$2' does not exist"
[[ -x "$tradehost" ]] || die "'$tradehost' is not executable"
[[ -f "$source_root/sdk/cmake/tradehost-sdk-config.cmake" ]] || die "'$source_root' has no sdk/cmake/tradehost-sdk-config.cmake"
[[ -f "$source_root/sdk/examples/hello_venue/CMakeLists.txt" ]] || die "'$source_root' has no sdk/examples/hello_venue"
mkdir -p -- "$3"
scratch=$(realpath -e -- "$3")
build="$scratch/build"

passed=0
failed=0
pass() {
    passed=$((passed + 1))
    echo "ok   - $1"
}
fail() {
    failed=$((failed + 1))
    echo "FAIL - $1" >&2
    if [[ $# -gt 1 && -f "$2" ]]; then
        echo "       --- $2 ---" >&2
        sed 's/^/       | /' "$2" >&2
    fi
}
finish() {
    echo "sdk example: $passed passed, $failed failed"
    if [[ $failed -ne 0 ]]; then
        echo "sdk example: FAILED (see the FAIL lines above)" >&2
        exit 1
    fi
    exit 0
}
# contains <file> <text>: true if the file holds the text literally.
contains() { grep -qF -- "$2" "$1"; }

# ---- 1. configure and build the example out of tree, with the SDK alone ---------------------
rm -rf -- "$build"
if cmake -S "$source_root/sdk/examples/hello_venue" -B "$build" -Dtradehost-sdk_DIR="$source_root/sdk/cmake" \
    >"$scratch/configure.log" 2>&1; then
    pass "configure sdk/examples/hello_venue with only -Dtradehost-sdk_DIR"
else
    fail "configure sdk/examples/hello_venue with only -Dtradehost-sdk_DIR" "$scratch/configure.log"
    finish
fi

if cmake --build "$build" >"$scratch/build.log" 2>&1; then
    pass "build the example"
else
    fail "build the example" "$scratch/build.log"
    finish
fi

if grep -qi "warning:" "$scratch/build.log"; then
    fail "the example builds without warnings" "$scratch/build.log"
else
    pass "the example builds without warnings"
fi

plugin="$build/tradehost_hello.so"
if [[ -f "$plugin" ]]; then
    pass "tradehost_hello.so exists"
else
    fail "tradehost_hello.so exists in $build"
    finish
fi

# The SDK is headers only: the plugin must need nothing beyond the C/C++ runtime.
readelf -d "$plugin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' >"$scratch/needed.txt"
if grep -vE '^(libstdc\+\+|libm|libgcc_s|libc|ld-linux[^.]*)\.so' "$scratch/needed.txt" >"$scratch/extra-needed.txt"; then
    fail "tradehost_hello.so links nothing but the C++ runtime" "$scratch/extra-needed.txt"
else
    pass "tradehost_hello.so links nothing but the C++ runtime"
fi

# ---- 2. the host lists it with its settings table ----------------------------------------------
rc=0
"$tradehost" --describe-plugins --plugin-path "$build" >"$scratch/describe.out" 2>"$scratch/describe.err" || rc=$?
if [[ $rc -eq 0 ]]; then
    pass "--describe-plugins exits 0"
else
    fail "--describe-plugins exits 0 (got $rc)" "$scratch/describe.err"
fi
if contains "$scratch/describe.out" "hello" && contains "$scratch/describe.out" "price"; then
    pass "--describe-plugins lists 'hello' and its 'price' setting"
else
    fail "--describe-plugins lists 'hello' and its 'price' setting" "$scratch/describe.out"
fi

# ---- 3. a deployment using it passes --check-config -------------------------------------------
good="$scratch/hello.yaml"
cat >"$good" <<EOF
# Written by tests/sdk_example/build_and_check.sh
plugins: { search_path: ["$build"] }
webhook: { generate_secret: true }
venues:
  - { name: hello1, type: hello, settings: { price: "100" } }
EOF
rc=0
"$tradehost" --check-config "$good" >"$scratch/check-good.out" 2>"$scratch/check-good.err" || rc=$?
if [[ $rc -eq 0 ]]; then
    pass "--check-config exits 0 for a deployment with a hello venue"
else
    fail "--check-config exits 0 for a deployment with a hello venue (got $rc)" "$scratch/check-good.err"
fi
if contains "$scratch/check-good.out" "ok (1 venue"; then
    pass "--check-config reports the hello venue built, started and stopped"
else
    fail "--check-config reports the hello venue built, started and stopped" "$scratch/check-good.out"
fi

# ---- 4. a misspelt key is a config error naming the key, the valid keys and the line ---------
bad="$scratch/hello-typo.yaml"
cat >"$bad" <<EOF
# Written by tests/sdk_example/build_and_check.sh: 'pryce' on line 8 is a deliberate typo.
plugins: { search_path: ["$build"] }
webhook: { generate_secret: true }
venues:
  - name: hello1
    type: hello
    settings:
      pryce: "100"
EOF
rc=0
"$tradehost" --check-config "$bad" >"$scratch/check-bad.out" 2>"$scratch/check-bad.err" || rc=$?
if [[ $rc -eq 78 ]]; then
    pass "--check-config exits 78 for an unknown setting"
else
    fail "--check-config exits 78 for an unknown setting (got $rc)" "$scratch/check-bad.err"
fi
if contains "$scratch/check-bad.err" "pryce" && contains "$scratch/check-bad.err" "price"; then
    pass "the error names the unknown key 'pryce' and the valid key 'price'"
else
    fail "the error names the unknown key 'pryce' and the valid key 'price'" "$scratch/check-bad.err"
fi
if contains "$scratch/check-bad.err" "$bad:8: venue 'hello1', key 'pryce'"; then
    pass "the error gives file:line (7) and the instance"
else
    fail "the error gives file:line (7) and the instance" "$scratch/check-bad.err"
fi

finish
