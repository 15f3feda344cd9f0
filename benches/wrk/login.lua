-- A login storm: password logins of random members with the right password, through the
-- API. Each one is a full argon2id verification. The server trusts the benchmark as a
-- reverse proxy, and each login comes from its own client address, as a storm of people
-- would (from one address, the per-address throttle would stop it early).
local lib = dofile("benches/wrk/lib.lua")
local plan = lib.plan
local password = os.getenv("BENCH_PASSWORD")

function init(args)
  lib.seed()
end

function request()
  local name = lib.pick(plan.members)
  local client = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/api/v1/sessions",
    { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = client },
    '{"username":' .. lib.json_string(name) .. ',"password":' .. lib.json_string(password) .. '}')
end

response = lib.count_status
