-- A random thread page: a random sampled thread and page; one request in ten goes to a
-- random page of the longest thread (deep pages included). BENCH_COOKIE, when set, is sent
-- as the Cookie header (a signed-in member or staff).
local lib = dofile("benches/wrk/lib.lua")
local plan = lib.plan

local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end
local delay_ms = lib.env_number("BENCH_DELAY_MS", nil)

function init(args)
  lib.seed()
end

function request()
  local id, page
  if math.random(10) == 1 then
    id, page = plan.long[1], math.random(plan.long[2])
  else
    local t = lib.pick(plan.threads)
    id, page = t[1], math.random(t[2])
  end
  if page > 1 then
    return wrk.format("GET", "/t/" .. id .. "?page=" .. page)
  end
  return wrk.format("GET", "/t/" .. id)
end


if delay_ms then
  function delay()
    return delay_ms
  end
end
