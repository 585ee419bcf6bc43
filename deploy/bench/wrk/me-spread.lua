-- GET {base}/api/me/ for each line "BASE TOKEN" of BENCH_TOKENS in turn, round and round,
-- from line BENCH_OFFSET + 1: many users in many realms (large-database.sh), so caches fill
-- as they would in production; a run that follows a short one goes on where it stopped.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

local lines = common.read_lines(os.getenv("BENCH_TOKENS"))
local next_line = tonumber(os.getenv("BENCH_OFFSET") or "0") % #lines

request = function()
  local base, token = lines[next_line + 1]:match("^(%S+) (%S+)$")
  next_line = (next_line + 1) % #lines
  return wrk.format("GET", base .. "/api/me/", {["Authorization"] = "Bearer " .. token})
end

done = common.done
