-- POST {base}/api/token/verify/, each request with the next access token of BENCH_TOKENS,
-- none sent twice: every verification is cold, its signature never seen by the server
-- before (see common.each_token).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

request = common.each_token("/api/token/verify/", "token")
done = common.done
