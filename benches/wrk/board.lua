-- A board's thread list. BENCH_DEPTH: "first" (the first page), "deepest" (the last page),
-- or "any" (a random depth, from the first page to the last).
local lib = dofile("benches/wrk/lib.lua")
local plan = lib.plan
local depth = os.getenv("BENCH_DEPTH") or "any"

function init(args)
  lib.seed()
end

function request()
  local board = lib.pick(plan.boards)
  local cursor
  if depth == "deepest" then
    cursor = board.deepest
  elseif depth == "any" and #board.any > 0 and math.random(#board.any + 1) > 1 then
    cursor = lib.pick(board.any)
  end
  if cursor then
    return wrk.format("GET", "/b/" .. board.slug .. "?after=" .. cursor)
  end
  return wrk.format("GET", "/b/" .. board.slug)
end

