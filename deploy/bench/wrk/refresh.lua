-- POST {base}/api/token/refresh/, each request with the next unused refresh token of
-- BENCH_TOKENS (a file, one token a line). When the pool runs out the script sends an
-- empty token, which counts as a non-2xx: the pool must outlast the run.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local tokens = common.read_lines(os.getenv("BENCH_TOKENS"))
local next_token = tonumber(os.getenv("BENCH_OFFSET") or "0") + 1

request = function()
  local token = tokens[next_token] or ""
  next_token = next_token + 1
  return wrk.format("POST", common.base .. "/api/token/refresh/", {["Content-Type"] = "application/json"},
    '{"refresh": "' .. token .. '"}')
end

done = common.done
