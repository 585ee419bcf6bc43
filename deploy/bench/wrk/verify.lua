-- POST {base}/api/token/verify/ with one valid access token (BENCH_TOKEN).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local body = '{"token": "' .. os.getenv("BENCH_TOKEN") .. '"}'

request = function()
  return wrk.format("POST", common.base .. "/api/token/verify/", {["Content-Type"] = "application/json"}, body)
end

done = common.done
