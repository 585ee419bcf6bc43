-- POST {base}/api/token/refresh/, each request with the next unused refresh token of
-- BENCH_TOKENS (from line BENCH_OFFSET + 1); see common.each_token.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

request = common.each_token("/api/token/refresh/", "refresh")
done = common.done
