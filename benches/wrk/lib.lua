-- Shared by every scenario: the plan of the seeded forum, per-thread random seeds, status
-- counts, and one machine-readable summary line that benches/run.sh reads.
local M = {}

M.plan = dofile(os.getenv("BENCH_PLAN"))

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("thread_no", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Each wrk thread has its own Lua state: seed each differently, but reproducibly.
function M.seed()
  math.randomseed(1000 + (thread_no or 0) * 7919)
end

function M.pick(list)
  return list[math.random(#list)]
end

function M.urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function M.json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

-- Status counts per wrk thread, gathered in done(). Scenarios that care define
-- response() as M.count_status.
statuses = {}
function M.count_status(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function M.env_number(name, default)
  local v = os.getenv(name)
  return v and tonumber(v) or default
end

function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then
      for code, n in pairs(s) do
        counts[code] = (counts[code] or 0) + n
      end
    end
  end
  local parts = {}
  for code, n in pairs(counts) do
    table.insert(parts, string.format('"%d":%d', code, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(parts, ",")))
end

return M
