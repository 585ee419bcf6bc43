-- Cookie mode: POST {base}/api/token/refresh/ with an empty body, the refresh token in the
-- gh_refresh cookie and the CSRF double submit (gh_csrf cookie = X-CSRF-Token header), each
-- request with the next unused token of BENCH_TOKENS, as refresh.lua does.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local tokens = common.read_lines(os.getenv("BENCH_TOKENS"))
local next_token = tonumber(os.getenv("BENCH_OFFSET") or "0") + 1

request = function()
  local token = tokens[next_token] or ""
  next_token = next_token + 1
  return wrk.format("POST", common.base .. "/api/token/refresh/", {
    ["Content-Type"] = "application/json",
    ["Cookie"] = "gh_refresh=" .. token .. "; gh_csrf=bench",
    ["X-CSRF-Token"] = "bench",
  }, "{}")
end

done = common.done
