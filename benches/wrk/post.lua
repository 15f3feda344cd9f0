-- Replies through the API from signed-in members (BENCH_TOKENS: bearer tokens, comma
-- separated), into random threads, each body different. BENCH_DELAY_MS, when set, paces
-- every connection (connections x 1000 / delay = posts per second).
local lib = dofile("benches/wrk/lib.lua")
local plan = lib.plan

local tokens = {}
for t in string.gmatch(os.getenv("BENCH_TOKENS") or "", "[^,]+") do
  table.insert(tokens, t)
end
local delay_ms = lib.env_number("BENCH_DELAY_MS", nil)

local openings = {
  "我也遇到同样的问题，", "补充一下我的情况：", "Same here, ", "Update from my side: ",
  "按照楼上的方法试了，", "For anyone finding this later: ",
}
local middles = {
  "USDT 走 TRC20 提币显示处理中已经两个小时了", "the deposit shows 12/12 confirmations but the balance is unchanged",
  "谷歌验证换手机之后收不到验证码", "KYC review has been pending since yesterday",
  "合约仓位在插针的时候被强平了", "the withdrawal fee on ERC20 looks higher than the page says",
  "资金费率结算后余额少了一点", "I enabled 2FA and now the app asks for a code on every login",
}
local endings = {
  "，有没有人知道怎么处理？", ". Any idea what to check first?", "，客服说等待处理。",
  ". Order number attached in the ticket.", "，谢谢大家。", " Thanks!",
}

function init(args)
  lib.seed()
  seq = 0
end

function request()
  seq = seq + 1
  local t = lib.pick(plan.threads)
  local body = lib.pick(openings) .. lib.pick(middles) .. lib.pick(endings) ..
    "\n\n(" .. (thread_no or 0) .. "-" .. seq .. ")"
  local token = tokens[((thread_no or 0) + seq) % #tokens + 1]
  return wrk.format("POST", "/api/v1/threads/" .. t[1] .. "/posts", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, '{"body":' .. lib.json_string(body) .. '}')
end

response = lib.count_status

if delay_ms then
  function delay()
    return delay_ms
  end
end
