-- POST {base}/api/token/verify/ with one valid access token (BENCH_TOKEN). A static
-- request, formatted once by wrk, as the peer's own wrk scripts do.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

wrk.method = "POST"
wrk.path = common.base .. "/api/token/verify/"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"token": "' .. os.getenv("BENCH_TOKEN") .. '"}'

done = common.done
