-- GET /healthz: the cost of a trivial route, to compare verify with.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

request = function()
  return wrk.format("GET", "/healthz")
end

done = common.done
