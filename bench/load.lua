-- wrk script for bench/run.
--
-- Each request takes the next line of $BENCH_REQUESTS, "<session key><TAB><path>" (an empty key
-- sends no session), starting at line $BENCH_OFFSET. With several threads each takes every n-th
-- line, so no line is sent twice until the file wraps: bench/run relies on that for inserts that
-- must each hit a different patient and day. $BENCH_METHOD=POST sends $BENCH_BODY with Django's
-- CSRF cookie and header (a fixed 32-character secret, which Django accepts unmasked).
-- $BENCH_THINK_MS="min-max" makes each connection wait a random think time between its requests,
-- as a person reading the page would (the wait is not part of the measured latency).
-- done() prints one JSON line: p50/p95/p99 latency, throughput, errors and status classes.
local threads = {}
local csrf = os.getenv("BENCH_CSRF") or "benchcsrfbenchcsrfbenchcsrfbench"

function setup(thread)
  thread:set("id", #threads)
  thread:set("nthreads", tonumber(os.getenv("BENCH_THREADS") or "1"))
  table.insert(threads, thread)
end

function init(args)
  method = os.getenv("BENCH_METHOD") or "GET"
  body = os.getenv("BENCH_BODY")
  lines = {}
  local file = os.getenv("BENCH_REQUESTS")
  if file then
    for line in io.lines(file) do
      if #line > 0 then
        local key, path = line:match("^([^\t]*)\t(.*)$")
        lines[#lines + 1] = { key, path }
      end
    end
  end
  counter = tonumber(os.getenv("BENCH_OFFSET") or "0") + (id or 0)
  step = nthreads or 1
  status_2xx, status_3xx, status_4xx, status_5xx = 0, 0, 0, 0
  local think = os.getenv("BENCH_THINK_MS") or ""
  think_min, think_max = think:match("^(%d+)-(%d+)$")
  think_min, think_max = tonumber(think_min), tonumber(think_max)
  math.randomseed(os.time() + (id or 0))
end

function delay()
  if think_max then return math.random(think_min, think_max) end
  return 0
end

function request()
  local path = wrk.path
  local cookie = "csrftoken=" .. csrf
  if #lines > 0 then
    local line = lines[(counter % #lines) + 1]
    counter = counter + step
    if #line[1] > 0 then cookie = cookie .. "; sessionid=" .. line[1] end
    path = line[2]
  end
  local headers = { ["Cookie"] = cookie }
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["X-CSRFToken"] = csrf
    return wrk.format("POST", path, headers, body)
  end
  return wrk.format("GET", path, headers, nil)
end

function response(status, headers, body)
  if status < 300 then status_2xx = status_2xx + 1
  elseif status < 400 then status_3xx = status_3xx + 1
  elseif status < 500 then status_4xx = status_4xx + 1
  else status_5xx = status_5xx + 1 end
end

function done(summary, latency, requests)
  local codes = { 0, 0, 0, 0 }
  for _, thread in ipairs(threads) do
    codes[1] = codes[1] + (thread:get("status_2xx") or 0)
    codes[2] = codes[2] + (thread:get("status_3xx") or 0)
    codes[3] = codes[3] + (thread:get("status_4xx") or 0)
    codes[4] = codes[4] + (thread:get("status_5xx") or 0)
  end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, ' ..
    '"p99_ms": %.2f, "max_ms": %.2f, "socket_errors": %d, "timeouts": %d, ' ..
    '"status_2xx": %d, "status_3xx": %d, "status_4xx": %d, "status_5xx": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors, summary.errors.timeout, codes[1], codes[2], codes[3], codes[4]))
end
