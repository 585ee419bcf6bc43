-- POST {base}/api/token/ as user0..user999 in turn, password "pw".
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")
local user = 0

request = function()
  local body = '{"username": "user' .. user .. '", "password": "pw"}'
  user = (user + 1) % 1000
  return wrk.format("POST", common.base .. "/api/token/", {["Content-Type"] = "application/json"}, body)
end

done = common.done
