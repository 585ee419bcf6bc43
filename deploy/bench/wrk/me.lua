-- GET {base}/api/me/ with one valid access token (BENCH_TOKEN).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local headers = {["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")}

request = function()
  return wrk.format("GET", common.base .. "/api/me/", headers)
end

done = common.done
