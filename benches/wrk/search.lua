-- Relevance-ranked search through the API. BENCH_QUERIES: "common" (single common words,
-- both languages) or "multi" (several words, both languages and mixed).
local lib = dofile("benches/wrk/lib.lua")

local queries = {
  common = { "提币", "withdraw", "充值", "deposit", "手续费", "fee", "冻结", "KYC", "爆仓", "2FA" },
  multi = {
    "提币 一直 失败", "withdrawal pending for hours", "充值 没有 到账", "deposit not credited",
    "如何 重置 谷歌验证", "how to reset 2FA", "合约 爆仓 原因", "USDT TRC20 提币 手续费",
    "KYC 审核 多久", "funding rate 资金费率", "账户 被 冻结 怎么办", "api key permissions",
  },
}
local list = queries[os.getenv("BENCH_QUERIES") or "common"]

function init(args)
  lib.seed()
end

function request()
  return wrk.format("GET", "/api/v1/search?q=" .. lib.urlencode(lib.pick(list)))
end

