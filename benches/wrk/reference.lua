-- The reference page: 20 posts by key range from a random post id.
local lib = dofile("benches/wrk/lib.lua")
local plan = lib.plan

function init(args)
  lib.seed()
end

function request()
  local from = math.random(plan.first_post, math.max(plan.first_post, plan.last_post - 20))
  return wrk.format("GET", "/?from=" .. from)
end
