-- wrk script: every request is a new, unique TradingView-style signal (flat form, docs/signals.md).
--
--   BENCH_RUN_ID=r1a2b3 BENCH_WEBHOOK_SECRET=... wrk -t2 -c16 -d10s --latency \
--     -s bench/wrk/signals.lua http://127.0.0.1:PORT/webhook
--
-- Environment: BENCH_RUN_ID (default: random) makes ids unique across runs on one storage;
-- BENCH_WEBHOOK_SECRET is put in each body as "secret" (read here, never on a command line);
-- BENCH_VENUE (default paper). signal_id = w<run>-<thread>-<counter>: wrk's threads never collide.
-- Symbols alternate BTCUSDT / ETHUSDT, sides buy / sell; market orders of 0.002.
--
-- done() prints one line to stdout, "bench-wrk " followed by JSON:
--   {"duration_s", "requests", "statuses": {"202": N, ...}, "accepted_per_s" (202s only: the only
--    answer that means "durably acknowledged"), "errors": {connect, read, write, timeout, status},
--    "latency_ms": {p50, p90, p99, max} (wrk's own latency record, as --latency prints it)}

local threads = {}
local nextThreadId = 1

function setup(thread)
  thread:set("thread_id", nextThreadId)
  nextThreadId = nextThreadId + 1
  table.insert(threads, thread)
end

local function randomRunId()
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  return string.format("%06x", math.random(0, 0xffffff))
end

function init(args)
  run_id = os.getenv("BENCH_RUN_ID") or randomRunId()
  secret = os.getenv("BENCH_WEBHOOK_SECRET")
  venue = os.getenv("BENCH_VENUE") or "paper"
  counter = 0
  statuses = {}
  headers = { ["Content-Type"] = "application/json" }
  symbols = { "BTCUSDT", "ETHUSDT" }
end

local function jsonString(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

function request()
  counter = counter + 1
  local body = "{"
  if secret then body = body .. '"secret":' .. jsonString(secret) .. "," end
  body = body .. string.format(
    '"signal_id":"w%s-%d-%d","venue":%s,"symbol":"%s","side":"%s","type":"market","quantity":"0.002"}',
    run_id, thread_id, counter, jsonString(venue), symbols[counter % 2 + 1],
    (math.floor(counter / 2) % 2 == 0) and "buy" or "sell")
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses") or {}) do
      total[status] = (total[status] or 0) + n
    end
  end
  local keys = {}
  for status in pairs(total) do table.insert(keys, status) end
  table.sort(keys)
  local parts = {}
  for _, status in ipairs(keys) do table.insert(parts, string.format('"%d":%d', status, total[status])) end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'bench-wrk {"duration_s":%.3f,"requests":%d,"statuses":{%s},"accepted_per_s":%.1f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},' ..
    '"latency_ms":{"p50":%.3f,"p90":%.3f,"p99":%.3f,"max":%.3f}}\n',
    seconds, summary.requests, table.concat(parts, ","), (total[202] or 0) / seconds,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
