-- GET {base}/api/me/ with one valid access token (BENCH_TOKEN). A static request,
-- formatted once by wrk, as the peer's own wrk scripts do.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

wrk.method = "GET"
wrk.path = common.base .. "/api/me/"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")

done = common.done
