#!/usr/bin/env bash
# bench/run.sh — tradehost's benchmarks, each measured side by side with a reference in the same run.
#
# Usage: bench/run.sh [--help]          (or `make bench`, which builds and installs what is missing first)
#
# Every scenario runs BENCH_RUNS times, tradehost and its reference interleaved (tradehost, then the
# reference, then tradehost again, ...), and reports medians, the ratio to the reference and
# PASS/FAIL against the target. The report (Markdown: machine, commit, date, exact commands,
# figures) goes to stdout and to BENCH_OUT; progress goes to stderr. Missed targets are reported,
# not fatal. A harness failure is: a process that never got ready or a port that could not be
# bound (stops at once, showing the process's log), or a tradehost that did not exit 0 on SIGTERM
# (shown, the run goes on); either way run.sh exits 1 and keeps its temp dir for a post-mortem.
#
# Scenarios (BENCH_SCENARIOS, in this order by default):
#   journal      build/bench/journal_bench: the journal's group commit, 1 and 16 writers
#   fsync        build/bench/fdatasync_bench: serial write+fdatasync on the storage filesystem
#   intake       wrk closed loop: 202/s and wrk's p50/p99 vs nginx answering the same requests;
#                plus one extra run under strace counting fdatasyncs per 202 (BENCH_STRACE=0: skip)
#   fixed_rate   bench/rate_sender open loop at BENCH_FIXED_RATE/s: ack latency from the intended
#                send time (coordinated omission corrected), vs nginx
#   burst        BENCH_BURST_SIGNALS signals on 20 symbols over BENCH_BURST_S seconds: every ack
#                within 1 s, every leg terminal (events.jsonl) within 3 s; nginx acks as reference
#   emulator     BENCH_EMULATOR_RATE/s for BENCH_EMULATOR_S s through a binance_futures venue to
#                the Binance emulator over HTTPS: webhook -> order latency from the emulator's ledger
#   gate_admission  build/bench/admission_bench admit: BENCH_ADMISSION_SIGNALS one-leg signals
#                journaled by 16 writers, then the host's Admitter drains them into a new SQLite
#                gate (catchUp() timed): admitted/s vs serial fdatasyncs/s (fdatasync_bench, same
#                run); records per gate transaction; gate and journal bytes per signal
#   gate_backlog BENCH_BACKLOG_SIGNALS signals already in the gate (admission_bench prefill, built
#                once and cached in BENCH_CACHE_DIR), an empty and a prefilled storage side by side:
#                wrk intake 202/s (nginx as reference), admission rate (as gate_admission), and
#                tradehost's peak RSS (VmHWM) over a BENCH_FIXED_RATE/s rate_sender run
#   read_model   build/bench/read_model_bench: BENCH_READ_MODEL_SIGNALS market orders' events
#                projected by the admin page's read model vs written by the event-log writer (the
#                outbox dispatcher's other consumer), same batches: events/s, ratio
#
# Environment (defaults in brackets):
#   BENCH_RUNS [3]  BENCH_DURATION_S [10] (wrk and fixed-rate runs)  BENCH_SCENARIOS [all above]
#   BENCH_WRK_THREADS [2]  BENCH_CONNECTIONS [16]  BENCH_FIXED_RATE [1000]
#   BENCH_BURST_SIGNALS [2000]  BENCH_BURST_S [2]  BENCH_EMULATOR_RATE [100]  BENCH_EMULATOR_S [20]
#   BENCH_ADMISSION_SIGNALS [50000]  BENCH_BACKLOG_SIGNALS [1000000]  BENCH_READ_MODEL_SIGNALS [20000]
#   BENCH_CACHE_DIR [<build>/bench-cache: prefilled storage dirs, kept between runs]
#   BENCH_STRACE [1]  BENCH_OUT [<build>/bench-report.md]  BENCH_KEEP [0: 1 keeps the temp dir]
#   BUILD_DIR [build]
#
# Nothing here uses a fixed port or a system service: tradehost listens on port 0 and prints its
# URL; nginx runs as the current user from a config generated in the temp dir, on a free port.
# Storage and temp files live in <build>/bench-tmp.XXXXXX (the build dir's disk), removed on exit;
# prefilled storage dirs are cached in BENCH_CACHE_DIR (same disk) and copied per run.
set -euo pipefail

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,/^set -euo pipefail$/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
[ $# -eq 0 ] || { echo "bench: unexpected argument '$1' (see bench/run.sh --help)" >&2; exit 64; }

cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
RUNS=${BENCH_RUNS:-3}
DURATION_S=${BENCH_DURATION_S:-10}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
FIXED_RATE=${BENCH_FIXED_RATE:-1000}
BURST_SIGNALS=${BENCH_BURST_SIGNALS:-2000}
BURST_S=${BENCH_BURST_S:-2}
EMULATOR_RATE=${BENCH_EMULATOR_RATE:-100}
EMULATOR_S=${BENCH_EMULATOR_S:-20}
STRACE=${BENCH_STRACE:-1}
ADMISSION_SIGNALS=${BENCH_ADMISSION_SIGNALS:-50000}
BACKLOG_SIGNALS=${BENCH_BACKLOG_SIGNALS:-1000000}
READ_MODEL_SIGNALS=${BENCH_READ_MODEL_SIGNALS:-20000}
SCENARIOS=${BENCH_SCENARIOS:-journal fsync intake fixed_rate burst emulator gate_admission gate_backlog read_model}
REPORT=${BENCH_OUT:-$BUILD_DIR/bench-report.md}
KEEP=${BENCH_KEEP:-0}

# Targets (the new core's goals; today's code is expected to miss most of them).
TARGET_ACCEPTED_PER_S=20000   # 202/s at 16 keep-alive connections
TARGET_RATIO_NGINX=0.4        # tradehost 202/s / nginx 2xx/s
TARGET_FIXED_P99_MS=5         # p99 ack at BENCH_FIXED_RATE
TARGET_BURST_ACK_MS=1000      # every signal of the burst acknowledged within 1 s of its send
TARGET_BURST_TERMINAL_MS=3000 # every leg terminal within 3 s of the first send
TARGET_ORDER_P50_MS=2         # webhook -> order at the emulator
TARGET_ORDER_P99_MS=10
TARGET_ADMITTED_PER_S=5000    # journal -> gate admission, so that a backlog drains
TARGET_BACKLOG_RATIO=0.8      # prefilled gate / empty gate: intake 202/s and admission/s within 20 %
TARGET_RSS_MIB=60             # tradehost's peak RSS (VmHWM) at BENCH_FIXED_RATE/s on the paper venue

TRADEHOST=$BUILD_DIR/tradehost
BENCH_BIN=$BUILD_DIR/bench
EMULATOR_BIN=$BUILD_DIR/tools/binance-emulator

log() { printf 'bench: %s\n' "$*" >&2; }
die() {
  printf 'bench: error: %s\n' "$*" >&2
  exit 1
}
# die_with_log MESSAGE FILE: fails showing the end of a process's log.
die_with_log() {
  printf 'bench: error: %s\n--- last 60 lines of %s ---\n' "$1" "$2" >&2
  tail -n 60 "$2" >&2 2>/dev/null || true
  printf -- '--- end of %s ---\n' "$2" >&2
  KEEP=1
  exit 1
}
need() { [ -x "$1" ] || die "$1 not found: build first (make build, or make bench)"; }
need_cmd() { command -v "$1" >/dev/null || die "$1 is not installed: run tools/install-bench-deps.sh"; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer (got '$RUNS')"
[[ $DURATION_S =~ ^[1-9][0-9]*$ ]] || die "BENCH_DURATION_S must be a positive integer (got '$DURATION_S')"
[[ $ADMISSION_SIGNALS =~ ^[1-9][0-9]*$ ]] || die "BENCH_ADMISSION_SIGNALS must be a positive integer (got '$ADMISSION_SIGNALS')"
[[ $BACKLOG_SIGNALS =~ ^[1-9][0-9]*$ ]] || die "BENCH_BACKLOG_SIGNALS must be a positive integer (got '$BACKLOG_SIGNALS')"

mkdir -p "$BUILD_DIR"
ABS_BUILD=$(cd "$BUILD_DIR" && pwd)
TMP=$(mktemp -d "$ABS_BUILD/bench-tmp.XXXXXX")
CACHE_DIR=${BENCH_CACHE_DIR:-$ABS_BUILD/bench-cache}
RUN_TAG=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')  # unique signal ids across runs on one storage
# The webhook secret: made for this run, handed over in the environment only, never written down.
BENCH_WEBHOOK_SECRET=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
export BENCH_WEBHOOK_SECRET

# ---------------------------------------------------------------------------------------------
# Processes: every one started here is tracked and stopped on exit, whatever happened.

TRACKED=()
FAILURES=()

# alive PID: the process exists and is not a zombie.
alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# stop_pid PID [SIGNAL] [TIMEOUT_S]: signals PID, waits for it, KILLs it after TIMEOUT_S; sets
# STOP_RC to its exit status (or "timeout" if it had to be killed).
stop_pid() {
  local pid=$1 signal=${2:-TERM} timeout=${3:-30} waited=0
  STOP_RC=0
  kill "-$signal" "$pid" 2>/dev/null || true
  while alive "$pid" && [ "$waited" -lt $((timeout * 10)) ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if alive "$pid"; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    STOP_RC=timeout
    return
  fi
  wait "$pid" 2>/dev/null || STOP_RC=$?
}

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${TRACKED[@]}"; do
    if alive "$pid"; then stop_pid "$pid" TERM 5; fi
  done
  if [ "$KEEP" = 1 ] || [ "$rc" -ne 0 ]; then
    log "temporary files kept in ${TMP#"$PWD"/} (logs, deployments, records)"
  else
    rm -rf "$TMP"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ---------------------------------------------------------------------------------------------
# Figures: every run's result is one JSON line in a file; medians are taken with jq.

# median FILE JQ_PATH: the median of that value over the lines of FILE ("null" if none).
median() {
  jq -s "[.[] | $2 | numbers] | sort |
         if length == 0 then null elif length % 2 == 1 then .[(length - 1) / 2]
         else (.[length / 2 - 1] + .[length / 2]) / 2 end" "$1"
}
# median_worst FILE JQ_PATH: the same, but a run without a value (null: the run failed the
# measurement, e.g. a signal never acknowledged) counts as the worst, not as absent.
median_worst() {
  jq -s "[.[] | $2 | if type == \"number\" then . else infinite end] | sort |
         (if length % 2 == 1 then .[(length - 1) / 2] else (.[length / 2 - 1] + .[length / 2]) / 2 end) |
         if isinfinite then null else . end" "$1"
}
# runs FILE JQ_PATH DECIMALS: each run's value, comma-separated.
runs() { jq -r "$2 | if type == \"number\" then (. * pow(10; $3) | round / pow(10; $3) | tostring) else \"–\" end" "$1" | paste -sd, - | sed 's/,/, /g'; }
# fmt NUMBER DECIMALS: fixed decimals, "–" for null.
fmt() { if [ "$1" = null ] || [ -z "$1" ]; then echo "–"; else LC_ALL=C printf "%.${2:-0}f" "$1"; fi; }
# ratio A B: A / B with 3 significant digits or so ("–" when either is missing).
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN {
    if (a == "null" || b == "null" || a == "" || b == "" || b == 0) { print "–"; exit }
    r = a / b; printf (r >= 100 ? "%.0f" : r >= 1 ? "%.2f" : "%.3f"), r }'
}
# verdict VALUE OP TARGET: PASS or FAIL (a missing value fails).
verdict() {
  awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
    if (v == "null" || v == "" || v == "–") { print "FAIL"; exit }
    ok = (op == ">=") ? (v + 0 >= t + 0) : (v + 0 <= t + 0)
    print ok ? "PASS" : "FAIL" }'
}
# statuses FILE: answers by status over every run, e.g. "202: 9000, 503: 3".
statuses() {
  jq -s -r '[.[].statuses | to_entries[]] | group_by(.key) |
            map("\(.[0].key): \(map(.value) | add)") | join(", ") | if . == "" then "none" else . end' "$1"
}

report() { printf '%s\n' "$*" | tee -a "$REPORT"; }
# clean_exits "0, 0, 0": PASS when every exit code listed is 0.
clean_exits() { if [ -z "$(echo "$1" | tr -d "0, ")" ]; then echo PASS; else echo FAIL; fi; }

# ---------------------------------------------------------------------------------------------
# tradehost: a deployment generated per run, fresh storage, ready when /readyz says 200.

# copy_storage SRC DST: copies a storage dir (cp -a) and fsyncs every file of the copy. Without the
# fsync, the copy's dirty pages (hundreds of MB for a prefilled gate) are written back by the first
# fdatasync the host makes on the file, or by the kernel's writeback in the middle of the
# measurement: a prefilled run then showed p99 acks of 270-400 ms where the synced copy and an
# empty storage showed 9-40 ms.
copy_storage() {
  cp -a "$1" "$2" || die "could not copy $1 to $2"
  find "$2" -type f -exec sync {} + || die "could not fsync the copy in $2"
  sync "$2"
}

# Paper prices for every symbol the scenarios send (the paper venue rejects unknown symbols).
BURST_SYMBOLS="BTCUSDT:0.002,ETHUSDT:0.01"
PAPER_PRICES='BTCUSDT: "65000", ETHUSDT: "3200"'
for s in BNB SOL XRP ADA DOGE AVAX DOT LINK LTC TRX ATOM NEAR APT ARB OP FIL ETC BCH; do
  BURST_SYMBOLS+=",${s}USDT:0.1"
  PAPER_PRICES+=", ${s}USDT: \"100\""
done
PAPER_VENUES="venues:
  - name: paper
    type: paper
    settings:
      prices: { $PAPER_PRICES }"

# start_tradehost NAME VENUES_YAML [WRAPPER...]: starts tradehost on a new deployment and storage
# (optionally under WRAPPER, e.g. strace) and waits until it is ready. Sets TH_DIR, TH_LOG, TH_PID
# (tradehost itself), TH_WAIT (the process to wait for: tradehost or its wrapper), TH_URL.
# TH_ENV (an array of VAR=value) is added to its environment. TH_SEED, when set, is a storage dir
# copied in as the run's storage before the start (a prefilled gate; see copy_storage). Sets TH_READY_MS: launch to
# ready, in ms (at the readiness poll's 0.1 s resolution).
TH_ENV=()
TH_SEED=""
start_tradehost() {
  local name=$1 venues=$2 launched
  shift 2
  TH_DIR=$(mktemp -d "$TMP/$name.XXXX")
  TH_LOG=$TH_DIR/tradehost.log
  [ -z "$TH_SEED" ] || copy_storage "$TH_SEED" "$TH_DIR/storage"
  cat >"$TH_DIR/deployment.yaml" <<EOF
# Generated by bench/run.sh for one run.
webhook:
  listen: "127.0.0.1:0"
  secret: "\${BENCH_WEBHOOK_SECRET}"
storage:
  dir: "$TH_DIR/storage"
plugins:
  search_path: ["$ABS_BUILD/plugins"]
$venues
EOF
  # The wrapper runs a shell that writes its own pid and then becomes tradehost, so that a
  # wrapper (strace) stays the waited-for parent while SIGTERM still goes to tradehost itself.
  # TH_ENV is exported in the subshell, so that no secret appears on a command line.
  (
    for kv in ${TH_ENV[@]+"${TH_ENV[@]}"}; do export "$kv"; done
    exec "$@" bash -c 'echo $$ >"$0"; exec "$@"' "$TH_DIR/pid" \
      "$TRADEHOST" --config "$TH_DIR/deployment.yaml" --log-level warning
  ) >"$TH_LOG" 2>&1 &
  TH_WAIT=$!
  launched=$(date +%s%N)
  TRACKED+=("$TH_WAIT")
  local deadline=$((SECONDS + 30)) url=""
  TH_PID=""
  while :; do
    [ -n "$TH_PID" ] || TH_PID=$(cat "$TH_DIR/pid" 2>/dev/null || true)
    alive "$TH_WAIT" || die_with_log "tradehost exited before it was ready" "$TH_LOG"
    url=$(sed -n 's|^Webhook: \(http://[^ ]*/webhook\)$|\1|p' "$TH_LOG" | head -n 1)
    if [ -n "$url" ] && [ -n "$TH_PID" ] &&
      [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${url%/webhook}/readyz")" = 200 ]; then
      break
    fi
    [ "$SECONDS" -lt "$deadline" ] || die_with_log "tradehost was not ready (GET /readyz -> 200) within 30 s" "$TH_LOG"
    sleep 0.1
  done
  TH_READY_MS=$((($(date +%s%N) - launched) / 1000000))
  TRACKED+=("$TH_PID")
  TH_URL=$url
}

# stop_tradehost: SIGTERM; tradehost must exit 0 (recorded as a failure otherwise). Sets TH_RC.
stop_tradehost() {
  kill -TERM "$TH_PID" 2>/dev/null || true
  stop_pid "$TH_WAIT" TERM 30
  TH_RC=$STOP_RC
  if [ "$TH_RC" != 0 ]; then
    FAILURES+=("tradehost did not exit 0 on SIGTERM (exit: $TH_RC); log: ${TH_LOG#"$PWD"/}")
    log "error: tradehost did not exit 0 on SIGTERM (exit: $TH_RC); the end of its log:"
    tail -n 30 "$TH_LOG" >&2 || true
    KEEP=1
  fi
}

# ---------------------------------------------------------------------------------------------
# nginx: the HTTP reference, as the current user, from a config in the temp dir, on a free port.

# free_port: a random port below the kernel's ephemeral range (so no outgoing connection holds
# it); if it is taken after all, nginx fails to bind and start_nginx tries another.
free_port() {
  local low
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  [ "$low" -gt 12000 ] || low=32768
  echo $((10000 + RANDOM % (low - 10000)))
}

start_nginx() {
  local dir=$TMP/nginx attempt port
  mkdir -p "$dir/temp"
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$(free_port)
    cat >"$dir/nginx.conf" <<EOF
# Generated by bench/run.sh: the reference answers POST /webhook like tradehost, with no work.
daemon off;
worker_processes auto;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $dir/temp/body;
  proxy_temp_path $dir/temp/proxy;
  fastcgi_temp_path $dir/temp/fastcgi;
  uwsgi_temp_path $dir/temp/uwsgi;
  scgi_temp_path $dir/temp/scgi;
  keepalive_timeout 75s;
  keepalive_requests 10000000;
  server {
    listen 127.0.0.1:$port;
    location = /webhook {
      default_type application/json;
      return 202 '{"status":"accepted"}';
    }
  }
}
EOF
    : >"$dir/error.log"
    nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
    NGINX_PID=$!
    TRACKED+=("$NGINX_PID")
    local deadline=$((SECONDS + 10))
    while alive "$NGINX_PID" && [ "$SECONDS" -lt "$deadline" ]; do
      if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -X POST -d '{}' "http://127.0.0.1:$port/webhook")" = 202 ]; then
        NGINX_URL=http://127.0.0.1:$port/webhook
        return
      fi
      sleep 0.1
    done
    if ! alive "$NGINX_PID" && grep -q "Address already in use" "$dir/error.log" "$dir/stdout.log"; then
      log "port $port is in use; trying another"
      wait "$NGINX_PID" 2>/dev/null || true
      continue
    fi
    cat "$dir/stdout.log" >>"$dir/error.log"
    die_with_log "nginx did not answer POST /webhook with 202 on 127.0.0.1:$port" "$dir/error.log"
  done
  die_with_log "no free port for nginx after 10 attempts" "$dir/error.log"
}

stop_nginx() {
  stop_pid "$NGINX_PID" QUIT 10
  [ "$STOP_RC" = 0 ] || FAILURES+=("nginx did not stop cleanly (exit: $STOP_RC)")
}

# ---------------------------------------------------------------------------------------------
# The load generators.

# run_wrk URL LABEL OUTFILE: one wrk run; its result line (JSON) is appended to OUTFILE.
run_wrk() {
  local url=$1 label=$2 out=$3 text
  text=$TMP/wrk.$label.$(date +%s%N).txt
  BENCH_RUN_ID="$RUN_TAG$label" wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION_S}s" --latency \
    -s bench/wrk/signals.lua "$url" >"$text" 2>&1 || die_with_log "wrk failed against $url" "$text"
  grep '^bench-wrk ' "$text" | sed 's/^bench-wrk //' >>"$out" || die_with_log "wrk printed no result line" "$text"
  log "  $label: $(grep '^bench-wrk ' "$text" | sed 's/^bench-wrk //' | jq -c '{accepted_per_s, statuses, latency_ms}')"
}

# run_sender LABEL OUTFILE rate_sender-options...: one rate_sender run, result line to OUTFILE.
run_sender() {
  local label=$1 out=$2 text
  shift 2
  text=$TMP/sender.$label.$(date +%s%N).txt
  "$BENCH_BIN/rate_sender" --secret-env BENCH_WEBHOOK_SECRET --connections "$CONNECTIONS" --label "$label" "$@" \
    >"$text" 2>&1 || die_with_log "rate_sender failed ($label)" "$text"
  tail -n 1 "$text" >>"$out"
  log "  $label: $(tail -n 1 "$text" | jq -c '{sent, statuses, no_answer, unsent, latency_ms}')"
}

# ---------------------------------------------------------------------------------------------
# Scenarios. Each is one function scenario_<name>, run BENCH_RUNS times inside, printing its own
# table. To add one: write scenario_<name>, add <name> to SCENARIOS' default above, and document
# it in bench/README.md.

scenario_journal() {
  log "journal: journal_bench, 1 and 16 writers x 500 appends, $RUNS runs"
  local threads out r
  report "### Journal group commit (\`journal_bench\`)"
  report ""
  report "| writers | appends/s (median; runs) | appends per fdatasync | append p50 / p99 ms |"
  report "|---|---|---|---|"
  for threads in 1 16; do
    out=$TMP/journal.$threads.jsonl
    for r in $(seq "$RUNS"); do
      "$BENCH_BIN/journal_bench" "$TMP/journal-bench" "$threads" 500 | tee -a "$TMP/journal.txt" |
        sed -E 's/.* ([0-9]+) appends\/s, ([0-9]+) fdatasyncs \(([0-9.]+) appends per sync\), append latency p50 ([0-9.]+) ms p99 ([0-9.]+) ms max ([0-9.]+) ms/{"appends_per_s":\1,"syncs":\2,"per_sync":\3,"p50":\4,"p99":\5,"max":\6}/' >>"$out"
    done
    report "| $threads | $(fmt "$(median "$out" .appends_per_s)") ($(runs "$out" .appends_per_s 0)) | $(fmt "$(median "$out" .per_sync)" 2) | $(fmt "$(median "$out" .p50)" 2) / $(fmt "$(median "$out" .p99)" 2) |"
  done
  report ""
  report "Commands: \`$BUILD_DIR/bench/journal_bench <tmp> 1 500\`, \`$BUILD_DIR/bench/journal_bench <tmp> 16 500\`."
  report ""
}

scenario_read_model() {
  log "read_model: read_model_bench, $READ_MODEL_SIGNALS market orders (4 events each), $RUNS runs"
  local out=$TMP/read_model.jsonl r
  for r in $(seq "$RUNS"); do
    "$BENCH_BIN/read_model_bench" "$TMP/read-model-bench" "$READ_MODEL_SIGNALS" >>"$out"
    log "  run $r: $(tail -n 1 "$out")"
  done
  local projected logged
  projected=$(median "$out" .read_model_events_per_s)
  logged=$(median "$out" .event_log_events_per_s)
  report "### The admin page's read model on the outbox dispatcher's thread (\`read_model_bench\`)"
  report ""
  report "| figure | median | runs |"
  report "|---|---|---|"
  report "| read model: events projected/s (SQLite, deferred commits, live feed told) | $(fmt "$projected") | $(runs "$out" .read_model_events_per_s 0) |"
  report "| reference: event-log writer events/s (hash chain, one write + fdatasync per batch) | $(fmt "$logged") | $(runs "$out" .event_log_events_per_s 0) |"
  report "| ratio read model / event log | $(ratio "$projected" "$logged") | |"
  report "| read model bytes per event | $(fmt "$(median "$out" .read_model_bytes_per_event)") | |"
  report ""
  report "Command: \`$BUILD_DIR/bench/read_model_bench <tmp> $READ_MODEL_SIGNALS\`: the same batches of 1000 events"
  report "(signal_received, order_submitted, order_ack, order_fill per signal) through both consumers."
  report ""
}

FSYNC_OPS=null
scenario_fsync() {
  log "fsync: fdatasync_bench, 2000 serial appends on the storage filesystem, $RUNS runs"
  local out=$TMP/fsync.jsonl r
  for r in $(seq "$RUNS"); do
    "$BENCH_BIN/fdatasync_bench" "$TMP" 2000 300 >>"$out"
    log "  run $r: $(tail -n 1 "$out")"
  done
  FSYNC_OPS=$(median "$out" .ops_per_s)
  report "### Disk reference: serial append + fdatasync (\`fdatasync_bench\`)"
  report ""
  report "| figure | median | runs |"
  report "|---|---|---|"
  report "| write+fdatasync ops/s (300-byte records, one writer) | $(fmt "$FSYNC_OPS") | $(runs "$out" .ops_per_s 0) |"
  report "| op latency p50 / p99 / max ms | $(fmt "$(median "$out" .latency_ms.p50)" 3) / $(fmt "$(median "$out" .latency_ms.p99)" 3) / $(fmt "$(median "$out" .latency_ms.max)" 3) | p99: $(runs "$out" .latency_ms.p99 3) |"
  report ""
  report "Command: \`$BUILD_DIR/bench/fdatasync_bench <storage fs tmp dir> 2000 300\`. A journal that syncs each"
  report "signal alone cannot acknowledge faster than this; group commit (many signals per sync) can."
  report ""
}

# fsyncs_per_ack: one extra intake run with tradehost under strace (seccomp-filtered, so only the
# traced calls stop the process). Its throughput is not reported; only the syscall counts are.
FSYNC_LINE=""
fsyncs_per_ack() {
  local out=$TMP/intake.strace.jsonl trace
  log "intake: one extra run under strace, counting fdatasync/fsync per 202"
  start_tradehost intake-strace "$PAPER_VENUES" strace -f --seccomp-bpf -qq -y \
    -e trace=fdatasync,fsync,sync_file_range -o "$TMP/strace.txt"
  run_wrk "$TH_URL" strace "$out"
  stop_tradehost
  trace=$TMP/strace.txt
  local accepted journal gate events other total
  accepted=$(jq '.statuses["202"] // 0' "$out")
  journal=$(grep -cE '(fdatasync|fsync|sync_file_range)\([0-9]+</[^>]*/storage/journal' "$trace" || true)
  gate=$(grep -cE '(fdatasync|fsync|sync_file_range)\([0-9]+</[^>]*/storage/gate' "$trace" || true)
  events=$(grep -cE '(fdatasync|fsync|sync_file_range)\([0-9]+</[^>]*/storage/events' "$trace" || true)
  total=$(grep -cE '(fdatasync|fsync|sync_file_range)\(' "$trace" || true)
  other=$((total - journal - gate - events))
  per() { ratio "$1" "$accepted"; }
  FSYNC_LINE="| syncs per 202 (one run under strace: $accepted × 202) | total $(per "$total") = journal $(per "$journal") + gate $(per "$gate") + events $(per "$events") + other $(per "$other") | | | | |"
}

scenario_intake() {
  local th=$TMP/intake.tradehost.jsonl ref=$TMP/intake.nginx.jsonl r rcs=""
  log "intake: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION_S}s, tradehost then nginx, $RUNS runs"
  start_nginx
  for r in $(seq "$RUNS"); do
    log " run $r/$RUNS"
    start_tradehost intake "$PAPER_VENUES"
    run_wrk "$TH_URL" "th$r" "$th"
    stop_tradehost
    rcs+="${rcs:+, }$TH_RC"
    run_wrk "$NGINX_URL" "ng$r" "$ref"
  done
  stop_nginx
  if [ "$STRACE" = 1 ]; then fsyncs_per_ack; fi

  local th_rate ng_rate th_p50 th_p99 ng_p50 ng_p99 rat
  th_rate=$(median "$th" .accepted_per_s)
  ng_rate=$(median "$ref" .accepted_per_s)
  rat=$(ratio "$th_rate" "$ng_rate")
  th_p50=$(median "$th" .latency_ms.p50)
  th_p99=$(median "$th" .latency_ms.p99)
  ng_p50=$(median "$ref" .latency_ms.p50)
  ng_p99=$(median "$ref" .latency_ms.p99)
  report "### Intake throughput (wrk, closed loop, $CONNECTIONS keep-alive connections)"
  report ""
  report "| figure | tradehost | nginx \`return 202\` | tradehost / nginx | target | result |"
  report "|---|---|---|---|---|---|"
  report "| 202/s, median (runs) | $(fmt "$th_rate") ($(runs "$th" .accepted_per_s 0)) | $(fmt "$ng_rate") ($(runs "$ref" .accepted_per_s 0)) | $rat | ≥ $TARGET_ACCEPTED_PER_S/s; ratio ≥ $TARGET_RATIO_NGINX | $(verdict "$th_rate" '>=' $TARGET_ACCEPTED_PER_S) / $(verdict "$rat" '>=' $TARGET_RATIO_NGINX) |"
  report "| latency p50 ms (wrk) | $(fmt "$th_p50" 2) | $(fmt "$ng_p50" 2) | $(ratio "$th_p50" "$ng_p50") | | |"
  report "| latency p99 ms (wrk) | $(fmt "$th_p99" 2) | $(fmt "$ng_p99" 2) | $(ratio "$th_p99" "$ng_p99") | | |"
  report "| answers, all runs | $(statuses "$th") | $(statuses "$ref") | | only 202 counts | |"
  report "| socket errors, all runs | $(jq -s -r 'map(.errors) | "connect \(map(.connect)|add), read \(map(.read)|add), write \(map(.write)|add), timeout \(map(.timeout)|add)"' "$th") | $(jq -s -r 'map(.errors) | "connect \(map(.connect)|add), read \(map(.read)|add), write \(map(.write)|add), timeout \(map(.timeout)|add)"' "$ref") | | | |"
  report "| tradehost exit code on SIGTERM | $rcs | | | 0 | $(clean_exits "$rcs") |"
  report "| disk reference: serial write+fdatasync ops/s | $(fmt "$FSYNC_OPS") | | $(ratio "$th_rate" "$FSYNC_OPS") | | |"
  [ -z "$FSYNC_LINE" ] || report "$FSYNC_LINE"
  report ""
  report "Commands (\`<port>\` chosen at run time; \`BENCH_RUN_ID\` and \`BENCH_WEBHOOK_SECRET\` in the environment):"
  report ""
  report "    $BUILD_DIR/tradehost --config <tmp>/deployment.yaml --log-level warning   # paper venue, listen 127.0.0.1:0"
  report "    wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION_S}s --latency -s bench/wrk/signals.lua http://127.0.0.1:<port>/webhook"
  report "    nginx -p <tmp>/nginx -c <tmp>/nginx/nginx.conf   # location = /webhook { return 202 '{\"status\":\"accepted\"}'; }"
  if [ "$STRACE" = 1 ]; then report "    strace -f --seccomp-bpf -qq -y -e trace=fdatasync,fsync,sync_file_range -o <tmp>/strace.txt $BUILD_DIR/tradehost ...   # the syncs-per-202 run"; fi
  report ""
}

scenario_fixed_rate() {
  local th=$TMP/fixed.tradehost.jsonl ref=$TMP/fixed.nginx.jsonl r rcs=""
  local opts=(--rate "$FIXED_RATE" --duration "$DURATION_S" --symbols BTCUSDT:0.002,ETHUSDT:0.01)
  log "fixed_rate: rate_sender ${FIXED_RATE}/s for ${DURATION_S} s on $CONNECTIONS connections, tradehost then nginx, $RUNS runs"
  start_nginx
  for r in $(seq "$RUNS"); do
    log " run $r/$RUNS"
    start_tradehost fixed "$PAPER_VENUES"
    run_sender "th$r" "$th" --url "$TH_URL" --prefix "f$RUN_TAG$r-" "${opts[@]}"
    stop_tradehost
    rcs+="${rcs:+, }$TH_RC"
    run_sender "ng$r" "$ref" --url "$NGINX_URL" --prefix "n$RUN_TAG$r-" "${opts[@]}"
  done
  stop_nginx

  local p q row
  report "### Ack latency at a fixed $FIXED_RATE signals/s (open loop, coordinated omission corrected)"
  report ""
  report "| figure (median of $RUNS runs) | tradehost | nginx \`return 202\` | tradehost / nginx | target | result |"
  report "|---|---|---|---|---|---|"
  for p in p50 p90 p99 p999 max; do
    q=.latency_ms.$p
    row="| ack latency $p ms | $(fmt "$(median_worst "$th" "$q")" 2) | $(fmt "$(median_worst "$ref" "$q")" 2) | $(ratio "$(median_worst "$th" "$q")" "$(median_worst "$ref" "$q")") |"
    if [ "$p" = p99 ]; then
      row+=" ≤ $TARGET_FIXED_P99_MS ms | $(verdict "$(median_worst "$th" "$q")" '<=' $TARGET_FIXED_P99_MS) |"
    else
      row+=" | |"
    fi
    report "$row"
  done
  report "| p99 per run ms | $(runs "$th" .latency_ms.p99 2) | $(runs "$ref" .latency_ms.p99 2) | | | |"
  report "| service time p99 ms (from the actual send: what a closed-loop tool sees) | $(fmt "$(median "$th" .service_ms.p99)" 2) | $(fmt "$(median "$ref" .service_ms.p99)" 2) | | | |"
  report "| answered/s, median | $(fmt "$(median "$th" .answered_per_s)") | $(fmt "$(median "$ref" .answered_per_s)") | | $FIXED_RATE | |"
  local lost_th lost_ref
  lost_th=$(jq -s 'map(.no_answer + .unsent) | add' "$th")
  lost_ref=$(jq -s 'map(.no_answer + .unsent) | add' "$ref")
  report "| answers, all runs | $(statuses "$th"); no answer or unsent: $lost_th | $(statuses "$ref"); no answer or unsent: $lost_ref | | all 202 | $([ "$lost_th" = 0 ] && [ "$(jq -s 'map(.statuses | to_entries[] | select(.key != "202") | .value) | add // 0' "$th")" = 0 ] && echo PASS || echo FAIL) |"
  report "| tradehost exit code on SIGTERM | $rcs | | | 0 | $(clean_exits "$rcs") |"
  report ""
  report "Latency is measured from each signal's intended send time (signal i is due at start + i / rate), so"
  report "time spent waiting for a free connection counts; a signal more than 10 s overdue is not sent (unsent)."
  report ""
  report "    $BUILD_DIR/bench/rate_sender --url http://127.0.0.1:<port>/webhook --secret-env BENCH_WEBHOOK_SECRET \\"
  report "      --connections $CONNECTIONS --rate $FIXED_RATE --duration $DURATION_S --symbols BTCUSDT:0.002,ETHUSDT:0.01"
  report ""
}

scenario_burst() {
  local th=$TMP/burst.tradehost.jsonl ack=$TMP/burst.sender.jsonl ref=$TMP/burst.nginx.jsonl r rcs="" rate
  rate=$(awk -v k="$BURST_SIGNALS" -v s="$BURST_S" 'BEGIN { printf "%g", k / s }')
  local opts=(--count "$BURST_SIGNALS" --rate "$rate" --symbols "$BURST_SYMBOLS")
  log "burst: $BURST_SIGNALS signals on 20 symbols over $BURST_S s, tradehost then nginx, $RUNS runs"
  start_nginx
  for r in $(seq "$RUNS"); do
    log " run $r/$RUNS"
    start_tradehost burst "$PAPER_VENUES"
    run_sender "th$r" "$ack" --url "$TH_URL" --prefix "b$RUN_TAG$r-" --record "$TH_DIR/sent.csv" "${opts[@]}"
    "$BENCH_BIN/bench_report" terminal --record "$TH_DIR/sent.csv" --events "$TH_DIR/storage/events.jsonl" \
      --wait-s 60 >>"$th" || die "bench_report failed on ${TH_DIR#"$PWD"/}"
    log "  th$r legs: $(tail -n 1 "$th" | jq -c '{acked, legs_expected, legs_terminal, all_terminal_ms, terminal_events}')"
    stop_tradehost
    rcs+="${rcs:+, }$TH_RC"
    run_sender "ng$r" "$ref" --url "$NGINX_URL" --prefix "m$RUN_TAG$r-" "${opts[@]}"
  done
  stop_nginx

  local th_ack th_term ng_ack
  local th_ack_q='(if .not_acked == 0 then .ack_ms.max else null end)'
  local ng_ack_q='(if .no_answer + .unsent == 0 then .latency_ms.max else null end)'
  th_ack=$(median_worst "$th" "$th_ack_q")
  th_term=$(median_worst "$th" .all_terminal_ms)
  ng_ack=$(median_worst "$ref" "$ng_ack_q")
  report "### Burst: $BURST_SIGNALS signals on 20 symbols over $BURST_S s"
  report ""
  report "| figure (median of $RUNS runs) | tradehost | nginx \`return 202\` | target | result |"
  report "|---|---|---|---|---|"
  report "| max ack latency ms (every signal; – if one was not acknowledged) | $(fmt "$th_ack") ($(runs "$th" "$th_ack_q" 0)) | $(fmt "$ng_ack") ($(runs "$ref" "$ng_ack_q" 0)) | ≤ $TARGET_BURST_ACK_MS ms | $(verdict "$th_ack" '<=' $TARGET_BURST_ACK_MS) |"
  report "| ack latency p50 / p99 ms | $(fmt "$(median "$th" .ack_ms.p50)") / $(fmt "$(median "$th" .ack_ms.p99)") | $(fmt "$(median "$ref" .latency_ms.p50)" 2) / $(fmt "$(median "$ref" .latency_ms.p99)" 2) | | |"
  report "| first send → every leg terminal, ms | $(fmt "$th_term") ($(runs "$th" .all_terminal_ms 0)) | (no legs) | ≤ $TARGET_BURST_TERMINAL_MS ms | $(verdict "$th_term" '<=' $TARGET_BURST_TERMINAL_MS) |"
  report "| legs terminal / expected, all runs | $(jq -s -r '"\(map(.legs_terminal) | add) / \(map(.legs_expected) | add)"' "$th") | | all | |"
  report "| how legs ended, all runs | $(jq -s -r '[.[].terminal_events | to_entries[]] | group_by(.key) | map("\(.[0].key) \(map(.value) | add)") | join(", ")' "$th") | | | |"
  report "| answers, all runs | $(statuses "$ack"); no answer or unsent: $(jq -s 'map(.no_answer + .unsent) | add' "$ack") | $(statuses "$ref"); no answer or unsent: $(jq -s 'map(.no_answer + .unsent) | add' "$ref") | all 2xx | |"
  report "| tradehost exit code on SIGTERM | $rcs | | 0 | $(clean_exits "$rcs") |"
  report ""
  report "Ack latency is from each signal's intended send time. A leg is terminal at its first order_ack or"
  report "order_resolved with status FILLED, or order_closed / order_rejected / order_blocked / order_expired"
  report "(\`ts_ms\` in \`<storage>/events.jsonl\`); bench_report waits up to 60 s for them."
  report ""
  report "    $BUILD_DIR/bench/rate_sender --url http://127.0.0.1:<port>/webhook --secret-env BENCH_WEBHOOK_SECRET \\"
  report "      --connections $CONNECTIONS --count $BURST_SIGNALS --rate $rate --symbols BTCUSDT:0.002,ETHUSDT:0.01,BNBUSDT:0.1,... --record <tmp>/sent.csv"
  report "    $BUILD_DIR/bench/bench_report terminal --record <tmp>/sent.csv --events <storage>/events.jsonl --wait-s 60"
  report ""
}

# start_emulator: the Binance futures emulator over HTTPS with a certificate and credentials made
# for this run (the secret travels in the environment only). Sets EMU_URL, EMU_CA, EMU_PID, EMU_KEY,
# EMU_SECRET.
start_emulator() {
  local dir=$TMP/emulator
  mkdir -p "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >"$dir/openssl.log" 2>&1 ||
    die_with_log "openssl could not make the emulator's certificate" "$dir/openssl.log"
  EMU_CA=$dir/cert.pem
  EMU_KEY=bench-key-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
  EMU_SECRET=bench-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  # Limits far above the load: rate limiting is not what is measured here.
  BINANCE_EMULATOR_API_KEY=$EMU_KEY BINANCE_EMULATOR_API_SECRET=$EMU_SECRET "$EMULATOR_BIN" --listen 127.0.0.1:0 \
    --cert "$dir/cert.pem" --key "$dir/key.pem" --orders-per-10s 1000000 --orders-per-minute 10000000 \
    --weight-per-minute 10000000 --sliding-window >"$dir/emulator.log" 2>&1 &
  EMU_PID=$!
  TRACKED+=("$EMU_PID")
  local deadline=$((SECONDS + 15))
  EMU_URL=""
  while [ -z "$EMU_URL" ]; do
    alive "$EMU_PID" || die_with_log "the emulator exited at start" "$dir/emulator.log"
    [ "$SECONDS" -lt "$deadline" ] || die_with_log "the emulator printed no 'listening on' line within 15 s" "$dir/emulator.log"
    EMU_URL=$(sed -n 's|^listening on \(https://127\.0\.0\.1:[0-9]*\).*|\1|p' "$dir/emulator.log" | head -n 1)
    [ -n "$EMU_URL" ] || sleep 0.1
  done
}

scenario_emulator() {
  local th=$TMP/emulator.latency.jsonl legs=$TMP/emulator.legs.jsonl sent=$TMP/emulator.sender.jsonl r rcs=""
  need "$EMULATOR_BIN"
  log "emulator: ${EMULATOR_RATE}/s for ${EMULATOR_S} s through binance_futures to the emulator (HTTPS), $RUNS runs"
  start_emulator
  local venues="venues:
  - name: bn_emu
    type: binance_futures
    settings:
      base_url: \"$EMU_URL\"
      api_key: \"\${BINANCE_API_KEY}\"
      api_secret: \"\${BINANCE_API_SECRET}\"
      ca_file: \"$EMU_CA\"
      weight_limit_per_minute: 1000000
      order_limit_per_10s: 100000"
  for r in $(seq "$RUNS"); do
    log " run $r/$RUNS"
    TH_ENV=("BINANCE_API_KEY=$EMU_KEY" "BINANCE_API_SECRET=$EMU_SECRET")
    start_tradehost emulator "$venues"
    TH_ENV=()
    run_sender "th$r" "$sent" --url "$TH_URL" --prefix "e$RUN_TAG$r-" --record "$TH_DIR/sent.csv" \
      --venue bn_emu --rate "$EMULATOR_RATE" --duration "$EMULATOR_S" --symbols BTCUSDT:0.002,ETHUSDT:0.01
    "$BENCH_BIN/bench_report" terminal --record "$TH_DIR/sent.csv" --events "$TH_DIR/storage/events.jsonl" \
      --wait-s 60 >>"$legs" || die "bench_report failed on ${TH_DIR#"$PWD"/}"
    curl -sS --fail --cacert "$EMU_CA" "$EMU_URL/control/ledger" -o "$TH_DIR/ledger.json" ||
      die_with_log "could not read the emulator's ledger" "$TMP/emulator/emulator.log"
    "$BENCH_BIN/bench_report" ledger --record "$TH_DIR/sent.csv" --ledger "$TH_DIR/ledger.json" >>"$th" ||
      die "bench_report ledger failed on ${TH_DIR#"$PWD"/}"
    log "  th$r: $(tail -n 1 "$th" | jq -c '{matched, unmatched_signals, extra_orders, latency_ms}')"
    stop_tradehost
    rcs+="${rcs:+, }$TH_RC"
  done
  stop_pid "$EMU_PID" TERM 15
  [ "$STOP_RC" = 0 ] || FAILURES+=("the emulator did not stop cleanly (exit: $STOP_RC)")

  local p50 p99 resolution
  p50=$(median_worst "$th" .latency_ms.p50)
  p99=$(median_worst "$th" .latency_ms.p99)
  resolution=$(jq -r -s 'map(.resolution) | unique | join(",")' "$th")
  report "### Webhook → order at the Binance emulator (${EMULATOR_RATE} signals/s for ${EMULATOR_S} s, HTTPS)"
  report ""
  report "| figure (median of $RUNS runs) | tradehost | runs | target | result |"
  report "|---|---|---|---|---|"
  report "| webhook → order p50 ms | $(fmt "$p50" 2) | $(runs "$th" .latency_ms.p50 2) | ≤ $TARGET_ORDER_P50_MS ms | $(verdict "$p50" '<=' $TARGET_ORDER_P50_MS) |"
  report "| webhook → order p90 ms | $(fmt "$(median "$th" .latency_ms.p90)" 2) | $(runs "$th" .latency_ms.p90 2) | | |"
  report "| webhook → order p99 ms | $(fmt "$p99" 2) | $(runs "$th" .latency_ms.p99 2) | ≤ $TARGET_ORDER_P99_MS ms | $(verdict "$p99" '<=' $TARGET_ORDER_P99_MS) |"
  report "| webhook → order max ms | $(fmt "$(median "$th" .latency_ms.max)" 2) | $(runs "$th" .latency_ms.max 2) | | |"
  report "| orders matched / signals, all runs | $(jq -s -r '"\(map(.matched) | add) / \(map(.signals) | add); extra orders \(map(.extra_orders) | add)"' "$th") | | one order each | $([ "$(jq -s 'map(.unmatched_signals + .extra_orders) | add' "$th")" = 0 ] && echo PASS || echo FAIL) |"
  report "| legs terminal / expected, all runs | $(jq -s -r '"\(map(.legs_terminal) | add) / \(map(.legs_expected) | add)"' "$legs") | | all | |"
  report "| answers, all runs | $(statuses "$sent") | | all 202 | |"
  report "| ack p99 ms (from the intended send) | $(fmt "$(median "$sent" .latency_ms.p99)" 2) | $(runs "$sent" .latency_ms.p99 2) | | |"
  report "| tradehost exit code on SIGTERM | $rcs | | 0 | $(clean_exits "$rcs") |"
  report ""
  report "Latency: the emulator's \`acceptedAtUs\` (or \`acceptedAt\` × 1000 when absent: resolution here"
  report "\`$resolution\`) minus the signal's actual send time (system clock, µs), first order of each leg,"
  report "matched by client order id \`{signal_id}:bn_emu:{leg}:{attempt}\`. No reference: the targets are absolute."
  report ""
  report "    BINANCE_EMULATOR_API_KEY=... BINANCE_EMULATOR_API_SECRET=... $BUILD_DIR/tools/binance-emulator --listen 127.0.0.1:0 \\"
  report "      --cert <tmp>/cert.pem --key <tmp>/key.pem --orders-per-10s 1000000 --orders-per-minute 10000000 --weight-per-minute 10000000 --sliding-window"
  report "    $BUILD_DIR/bench/rate_sender --url http://127.0.0.1:<port>/webhook --secret-env BENCH_WEBHOOK_SECRET --connections $CONNECTIONS \\"
  report "      --venue bn_emu --rate $EMULATOR_RATE --duration $EMULATOR_S --symbols BTCUSDT:0.002,ETHUSDT:0.01 --record <tmp>/sent.csv"
  report "    curl --cacert <tmp>/cert.pem https://127.0.0.1:<emulator port>/control/ledger > <tmp>/ledger.json"
  report "    $BUILD_DIR/bench/bench_report ledger --record <tmp>/sent.csv --ledger <tmp>/ledger.json"
  report ""
}

# ---------------------------------------------------------------------------------------------
# The gate: how fast journaled signals enter it, and what a big one costs. Both scenarios drive the
# host's own components (journal, Admitter, SQLite gate) through bench/admission_bench.cpp; the
# second also runs tradehost itself on a copy of a prefilled storage dir.

# admission_run DIR LABEL OUTFILE: one `admission_bench admit` on storage dir DIR (new, or a copy
# of a prefilled one); its JSON line is appended to OUTFILE; DIR is removed afterwards (BENCH_KEEP=1
# keeps it).
admission_run() {
  local dir=$1 label=$2 out=$3 json text
  json=$TMP/admission.$label.$(date +%s%N).json
  text=${json%.json}.log
  "$BENCH_BIN/admission_bench" admit "$dir" --signals "$ADMISSION_SIGNALS" --label "$label" >"$json" 2>"$text" ||
    { cat "$json" >>"$text"; die_with_log "admission_bench admit failed ($label)" "$text"; }
  tail -n 1 "$json" >>"$out"
  log "  $label: $(tail -n 1 "$json" | jq -c '{admitted_per_s: .catch_up.per_s, transactions: .catch_up.transactions, gate_open_ms, append_per_s: .append.per_s, gate_per_signal: .bytes.gate_per_signal}')"
  [ "$KEEP" = 1 ] || rm -rf "$dir"
}

# fsync_reference OUTFILE: one fdatasync_bench run on the storage filesystem (the disk reference).
fsync_reference() {
  "$BENCH_BIN/fdatasync_bench" "$TMP" 2000 300 >>"$1" || die "fdatasync_bench failed on $TMP"
  log "  fsync: $(tail -n 1 "$1" | jq -c '{ops_per_s, p99: .latency_ms.p99}')"
}

# thousands N: 1000000 -> 1,000,000.
thousands() { echo "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|,\)/\1,\2\3/' -e 'ta'; }
# mib KIB: kibibytes as mebibytes with one decimal ("–" for null).
mib() { if [ "$1" = null ] || [ -z "$1" ]; then echo "–"; else awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; fi; }

scenario_gate_admission() {
  local th=$TMP/admission.jsonl ref=$TMP/admission.fsync.jsonl r
  log "gate_admission: admission_bench admit ($ADMISSION_SIGNALS signals, new gate), then fdatasync_bench, $RUNS runs"
  for r in $(seq "$RUNS"); do
    log " run $r/$RUNS"
    admission_run "$TMP/admission-$r" "a$r" "$th"
    fsync_reference "$ref"
  done

  local rate ops per_tx signals
  rate=$(median "$th" .catch_up.per_s)
  ops=$(median "$ref" .ops_per_s)
  per_tx=$(median "$th" .catch_up.records_per_transaction)
  signals=$(jq -s 'map(.signals) | add' "$th")
  report "### Gate admission rate (\`admission_bench admit\`, $ADMISSION_SIGNALS one-leg signals into a new gate)"
  report ""
  report "| figure (median of $RUNS runs) | value (runs) | reference, same runs | ratio | target | result |"
  report "|---|---|---|---|---|---|"
  report "| admitted signals/s: journal → Admitter → SQLite gate, \`catchUp()\` timed | $(fmt "$rate") ($(runs "$th" .catch_up.per_s 0)) | serial write+fdatasync ops/s: $(fmt "$ops") ($(runs "$ref" .ops_per_s 0)) | $(ratio "$rate" "$ops") | ≥ $TARGET_ADMITTED_PER_S/s | $(verdict "$rate" '>=' $TARGET_ADMITTED_PER_S) |"
  report "| records per gate transaction (Admitter batch $(jq -s -r '.[0].catch_up.admit_batch' "$th")) | $(fmt "$per_tx" 1) ($(runs "$th" .catch_up.transactions 0) transactions) | | | | |"
  report "| signals admitted and queued / journaled, all runs | $(jq -s -r '"\(map(.catch_up.admitted) | add) and \(map(.catch_up.queued) | add) / \(map(.signals) | add)"' "$th") | | | all | $([ "$(jq -s 'map(.catch_up.admitted) | add' "$th")" = "$signals" ] && echo PASS || echo FAIL) |"
  report "| journal phase: appends/s with $(jq -s -r '.[0].append.threads' "$th") writers (appends per fdatasync) | $(fmt "$(median "$th" .append.per_s)") ($(fmt "$(median "$th" .append.per_sync)" 2)) | | | | |"
  report "| gate open / Admitter construction ms | $(fmt "$(median "$th" .gate_open_ms)" 1) / $(fmt "$(median "$th" .admitter_ms)" 1) | | | | |"
  report "| gate after a checkpoint: bytes per signal (gate.sqlite + WAL) | $(fmt "$(median "$th" .bytes.gate_per_signal)") ($(mib "$(median "$th" '.bytes.gate / 1024')") MiB + WAL $(fmt "$(median "$th" .bytes.wal)") B) | | | | |"
  report "| WAL before the checkpoint MiB | $(mib "$(median "$th" '.bytes.wal_before_checkpoint / 1024')") | | | | |"
  report "| gate bytes per signal by table and index, more than a page (last run) | $(jq -s -r '.[-1] | .bytes as $b | $b.tables | to_entries | map(select(.value > $b.page_size) | "\(.key) \(.value / $b.gate_signals | round)") | join(", ")' "$th") | | | | |"
  report "| journal bytes per signal | $(fmt "$(median "$th" .bytes.journal_per_signal)") ($(mib "$(median "$th" '.bytes.journal / 1024')") MiB) | | | | |"
  report ""
  report "Each run: a new storage dir under \`$BUILD_DIR/\`; $ADMISSION_SIGNALS records \`encodeSignalRecord(now, canonical)\`"
  report "(flat one-leg bodies through \`parseSignal\`, venue \`paper\`) appended to a real \`Journal\` by 16"
  report "threads; then \`openSqliteGate\` and the host's \`Admitter\` with one route (\`paper\`: a \`VenueLane\`,"
  report "\`ClientOrderIdCodec(ClientOrderIdRules{}, \"paper\")\`, no executor), and only \`catchUp()\` is timed."
  report "Transactions are counted by a \`SignalAdmission\` wrapper (one \`admit()\` call, one transaction)."
  report "Bytes: the gate closed, then \`PRAGMA wal_checkpoint(TRUNCATE)\`; tables and indexes from SQLite's \`dbstat\`."
  report ""
  report "    $BUILD_DIR/bench/admission_bench admit <tmp>/admission-<run> --signals $ADMISSION_SIGNALS"
  report "    $BUILD_DIR/bench/fdatasync_bench <storage fs tmp dir> 2000 300"
  report ""
}

scenario_gate_backlog() {
  local cache=$CACHE_DIR/gate-prefill-$BACKLOG_SIGNALS prefill=$TMP/backlog.prefill.json
  local r v dir hwm rss ready order rcs_empty="" rcs_prefilled=""
  local rate_opts=(--rate "$FIXED_RATE" --duration "$DURATION_S" --symbols BTCUSDT:0.002,ETHUSDT:0.01)
  log "gate_backlog: storage with $BACKLOG_SIGNALS signals in the gate (admission_bench prefill, cached in ${cache#"$PWD"/})"
  mkdir -p "$CACHE_DIR"
  "$BENCH_BIN/admission_bench" prefill "$cache" --signals "$BACKLOG_SIGNALS" >"$prefill" 2>"$TMP/backlog.prefill.log" ||
    { cat "$prefill" >>"$TMP/backlog.prefill.log"; die_with_log "admission_bench prefill failed" "$TMP/backlog.prefill.log"; }
  log "  prefill: $(jq -c '{reused, seconds, admit_seconds, apply_seconds, gate_bytes: .bytes.gate}' "$prefill")"
  log "gate_backlog: empty vs prefilled storage, $RUNS runs of: wrk intake (then nginx), admission_bench admit (then fdatasync_bench), rate_sender ${FIXED_RATE}/s for ${DURATION_S} s with VmHWM"
  start_nginx
  for r in $(seq "$RUNS"); do
    log " run $r/$RUNS"
    # Which storage goes first alternates between runs, so that neither always follows the other.
    if [ $((r % 2)) = 1 ]; then order="empty prefilled"; else order="prefilled empty"; fi
    for v in $order; do
      if [ "$v" = prefilled ]; then TH_SEED=$cache; else TH_SEED=""; fi
      start_tradehost "backlog-intake-$v" "$PAPER_VENUES"
      echo "{\"ready_ms\":$TH_READY_MS}" >>"$TMP/backlog.$v.ready.jsonl"
      run_wrk "$TH_URL" "$v$r" "$TMP/backlog.$v.intake.jsonl"
      stop_tradehost
      if [ "$v" = empty ]; then rcs_empty+="${rcs_empty:+, }$TH_RC"; else rcs_prefilled+="${rcs_prefilled:+, }$TH_RC"; fi
      [ "$KEEP" = 1 ] || rm -rf "$TH_DIR/storage"
    done
    run_wrk "$NGINX_URL" "ng$r" "$TMP/backlog.nginx.jsonl"

    for v in $order; do
      dir=$TMP/backlog-admit-$v-$r
      if [ "$v" = prefilled ]; then copy_storage "$cache" "$dir"; fi
      admission_run "$dir" "$v$r" "$TMP/backlog.$v.admission.jsonl"
    done
    fsync_reference "$TMP/backlog.fsync.jsonl"

    for v in $order; do
      if [ "$v" = prefilled ]; then TH_SEED=$cache; else TH_SEED=""; fi
      start_tradehost "backlog-rss-$v" "$PAPER_VENUES"
      echo "{\"ready_ms\":$TH_READY_MS}" >>"$TMP/backlog.$v.ready.jsonl"
      ready=$(awk '/^VmHWM:/ { print $2 }' "/proc/$TH_PID/status")
      run_sender "$v$r" "$TMP/backlog.$v.rate.jsonl" --url "$TH_URL" --prefix "g$RUN_TAG$v$r-" "${rate_opts[@]}"
      hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$TH_PID/status")
      rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$TH_PID/status")
      echo "{\"ready_hwm_kib\":${ready:-null},\"hwm_kib\":${hwm:-null},\"rss_kib\":${rss:-null}}" >>"$TMP/backlog.$v.rss.jsonl"
      log "  $v$r: VmHWM at ready $(mib "$ready") MiB, after the run $(mib "$hwm") MiB (VmRSS $(mib "$rss") MiB)"
      stop_tradehost
      if [ "$v" = empty ]; then rcs_empty+="${rcs_empty:+, }$TH_RC"; else rcs_prefilled+="${rcs_prefilled:+, }$TH_RC"; fi
      [ "$KEEP" = 1 ] || rm -rf "$TH_DIR/storage"
    done
  done
  TH_SEED=""
  stop_nginx

  local e=$TMP/backlog.empty p=$TMP/backlog.prefilled
  local e_in p_in ng e_ad p_ad ops e_hwm p_hwm
  e_in=$(median "$e.intake.jsonl" .accepted_per_s)
  p_in=$(median "$p.intake.jsonl" .accepted_per_s)
  ng=$(median "$TMP/backlog.nginx.jsonl" .accepted_per_s)
  e_ad=$(median "$e.admission.jsonl" .catch_up.per_s)
  p_ad=$(median "$p.admission.jsonl" .catch_up.per_s)
  ops=$(median "$TMP/backlog.fsync.jsonl" .ops_per_s)
  e_hwm=$(median_worst "$e.rss.jsonl" .hwm_kib)
  p_hwm=$(median_worst "$p.rss.jsonl" .hwm_kib)
  local in_ratio ad_ratio
  in_ratio=$(ratio "$p_in" "$e_in")
  ad_ratio=$(ratio "$p_ad" "$e_ad")
  # backlog_pair FILE_SUFFIX JQ_PATH DECIMALS: "empty | prefilled | prefilled / empty" cells, medians with runs.
  backlog_pair() {
    local a b
    a=$(median "$e.$1" "$2")
    b=$(median "$p.$1" "$2")
    echo "$(fmt "$a" "$3") ($(runs "$e.$1" "$2" "$3")) | $(fmt "$b" "$3") ($(runs "$p.$1" "$2" "$3")) | $(ratio "$b" "$a")"
  }
  report "### $(thousands "$BACKLOG_SIGNALS") signals already in the gate: empty vs prefilled storage"
  report ""
  report "Prefilled storage: $(jq -r '"\(.signals) one-leg signals, all ACCEPTED and filled, outbox consumed; gate \(.bytes.gate / 1048576 | floor) MiB (\(.bytes.gate_per_signal) bytes per signal, \(.bytes.freelist_bytes / 1048576 | floor) MiB of them free pages); " + (if .reused then "reused from the cache (built in \(.seconds) s)" else "built in \(.seconds) s (admit \(.admit_seconds) s, leg changes \(.apply_seconds) s)" end)' "$prefill")."
  report ""
  report "| figure (median of $RUNS runs) | empty gate | prefilled gate | prefilled / empty | reference, same runs | target | result |"
  report "|---|---|---|---|---|---|---|"
  report "| (a) intake 202/s (wrk) | $(fmt "$e_in") ($(runs "$e.intake.jsonl" .accepted_per_s 0)) | $(fmt "$p_in") ($(runs "$p.intake.jsonl" .accepted_per_s 0)) | $in_ratio | nginx $(fmt "$ng")/s; empty / nginx $(ratio "$e_in" "$ng"), prefilled / nginx $(ratio "$p_in" "$ng") | prefilled / empty ≥ $TARGET_BACKLOG_RATIO | $(verdict "$in_ratio" '>=' $TARGET_BACKLOG_RATIO) |"
  report "| (a) wrk latency p50 / p99 ms | $(fmt "$(median "$e.intake.jsonl" .latency_ms.p50)" 2) / $(fmt "$(median "$e.intake.jsonl" .latency_ms.p99)" 2) | $(fmt "$(median "$p.intake.jsonl" .latency_ms.p50)" 2) / $(fmt "$(median "$p.intake.jsonl" .latency_ms.p99)" 2) | $(ratio "$(median "$p.intake.jsonl" .latency_ms.p99)" "$(median "$e.intake.jsonl" .latency_ms.p99)") (p99) | nginx $(fmt "$(median "$TMP/backlog.nginx.jsonl" .latency_ms.p50)" 2) / $(fmt "$(median "$TMP/backlog.nginx.jsonl" .latency_ms.p99)" 2) | | |"
  report "| (a) answers, all runs | $(statuses "$e.intake.jsonl") | $(statuses "$p.intake.jsonl") | | nginx $(statuses "$TMP/backlog.nginx.jsonl") | only 202 counts | |"
  report "| (b) admitted signals/s (\`catchUp()\`, $ADMISSION_SIGNALS signals) | $(fmt "$e_ad") ($(runs "$e.admission.jsonl" .catch_up.per_s 0)) | $(fmt "$p_ad") ($(runs "$p.admission.jsonl" .catch_up.per_s 0)) | $ad_ratio | serial write+fdatasync ops/s $(fmt "$ops"); empty / disk $(ratio "$e_ad" "$ops"), prefilled / disk $(ratio "$p_ad" "$ops") | prefilled / empty ≥ $TARGET_BACKLOG_RATIO; ≥ $TARGET_ADMITTED_PER_S/s | $(verdict "$ad_ratio" '>=' $TARGET_BACKLOG_RATIO) / $(verdict "$p_ad" '>=' $TARGET_ADMITTED_PER_S) |"
  report "| (b) records per gate transaction | $(backlog_pair admission.jsonl .catch_up.records_per_transaction 1) | | | |"
  report "| (b) gate open ms (\`openSqliteGate\`) | $(backlog_pair admission.jsonl .gate_open_ms 1) | | | |"
  report "| (b) gate bytes per signal after the run (checkpointed) | $(backlog_pair admission.jsonl .bytes.gate_per_signal 0) | | | |"
  report "| (c) peak RSS, VmHWM MiB after ${FIXED_RATE}/s for ${DURATION_S} s (paper venue) | $(mib "$e_hwm") ($(runs "$e.rss.jsonl" '.hwm_kib / 1024' 1)) | $(mib "$p_hwm") ($(runs "$p.rss.jsonl" '.hwm_kib / 1024' 1)) | $(ratio "$p_hwm" "$e_hwm") | | ≤ $TARGET_RSS_MIB MiB | $(verdict "$(awk -v k="$e_hwm" 'BEGIN { print (k == "null") ? "null" : k / 1024 }')" '<=' $TARGET_RSS_MIB) / $(verdict "$(awk -v k="$p_hwm" 'BEGIN { print (k == "null") ? "null" : k / 1024 }')" '<=' $TARGET_RSS_MIB) |"
  report "| (c) VmHWM at ready MiB | $(backlog_pair rss.jsonl '.ready_hwm_kib / 1024' 1) | | | |"
  report "| (c) VmRSS at the end of the run MiB | $(backlog_pair rss.jsonl '.rss_kib / 1024' 1) | | | |"
  report "| (c) ack latency p99 ms (from the intended send) | $(backlog_pair rate.jsonl .latency_ms.p99 2) | | | |"
  report "| (c) answers, all runs | $(statuses "$e.rate.jsonl"); no answer or unsent: $(jq -s 'map(.no_answer + .unsent) | add' "$e.rate.jsonl") | $(statuses "$p.rate.jsonl"); no answer or unsent: $(jq -s 'map(.no_answer + .unsent) | add' "$p.rate.jsonl") | | | all 202 | |"
  report "| tradehost start → ready ms (every start) | $(backlog_pair ready.jsonl .ready_ms 0) | | | |"
  report "| tradehost exit code on SIGTERM | $rcs_empty | $rcs_prefilled | | | 0 | $(clean_exits "$rcs_empty, $rcs_prefilled") |"
  report ""
  report "Each tradehost run and each admission run gets its own storage: a new dir (empty) or a fresh copy of"
  report "the cached prefilled dir (prefilled), made and fsynced before the process starts. The prefill admits its signals"
  report "through \`SignalAdmission::admit\` in batches of 10,000 with journal position 0 (history without a"
  report "journal: the host's \"gate ahead of the journal\" check passes on the empty journal), received over"
  report "the last 3 days (inside the 7-day retention), then moves each leg PENDING → SUBMITTED → ACCEPTED with"
  report "its fill through \`LegStore::apply\`, and consumes and prunes the event outbox (cursor \`event_log\`)."
  report "VmHWM is read from \`/proc/<tradehost pid>/status\` at ready and after the rate_sender run. Within a run,"
  report "each measurement runs on both storages, empty first in odd runs and prefilled first in even ones."
  report ""
  report "    $BUILD_DIR/bench/admission_bench prefill ${cache#"$PWD"/} --signals $BACKLOG_SIGNALS   # reused while its stamp matches"
  report "    cp -a ${cache#"$PWD"/} <tmp>/<run>/storage; sync <every file of the copy>; $BUILD_DIR/tradehost --config <tmp>/<run>/deployment.yaml --log-level warning"
  report "    wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION_S}s --latency -s bench/wrk/signals.lua http://127.0.0.1:<port>/webhook"
  report "    $BUILD_DIR/bench/admission_bench admit <copy of the cache or new dir> --signals $ADMISSION_SIGNALS"
  report "    $BUILD_DIR/bench/rate_sender --url http://127.0.0.1:<port>/webhook --secret-env BENCH_WEBHOOK_SECRET \\"
  report "      --connections $CONNECTIONS --rate $FIXED_RATE --duration $DURATION_S --symbols BTCUSDT:0.002,ETHUSDT:0.01"
  report ""
}

# ---------------------------------------------------------------------------------------------
# Main.

need "$TRADEHOST"
need "$BENCH_BIN/rate_sender"
need "$BENCH_BIN/bench_report"
need "$BENCH_BIN/fdatasync_bench"
need "$BENCH_BIN/journal_bench"
need "$BENCH_BIN/admission_bench"
need "$BENCH_BIN/read_model_bench"
for c in nginx wrk jq curl openssl; do need_cmd "$c"; done
[ "$STRACE" != 1 ] || need_cmd strace
for s in $SCENARIOS; do
  declare -F "scenario_$s" >/dev/null || die "unknown scenario '$s' in BENCH_SCENARIOS (see bench/run.sh --help)"
done

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || commit+=" (with uncommitted changes)"
fs=$(df -PT "$TMP" | awk 'NR == 2 { print $2 " on " $1 }')
: >"$REPORT"
report "## tradehost benchmarks — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $commit"
report ""
report "| machine | |"
report "|---|---|"
report "| CPU | $(nproc) × $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1) |"
report "| memory | $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) |"
report "| kernel | $(uname -r) |"
report "| storage filesystem | $fs (temp and storage dirs under \`$BUILD_DIR/\`) |"
report "| load average at start | $(cut -d' ' -f1-3 /proc/loadavg) |"
report "| tools | $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), $(nginx -v 2>&1 | sed 's/.*: //') |"
report "| runs per figure | $RUNS (medians; each run's value in brackets) |"
report ""
report "Everything (load generator, tradehost, nginx) shares the same cores; compare figures within"
report "one report, not across machines."
report ""

for s in $SCENARIOS; do
  "scenario_$s"
done

log "report written to $REPORT"
if [ ${#FAILURES[@]} -gt 0 ]; then
  printf 'bench: FAILED:\n' >&2
  printf '  %s\n' "${FAILURES[@]}" >&2
  exit 1
fi
