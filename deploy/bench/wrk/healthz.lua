-- GET /healthz: the cost of a trivial route, to compare verify with. A static request
-- (no request() function): wrk formats it once, so wrk's own CPU stays out of the way.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
local common = require("common")

wrk.method = "GET"
wrk.path = "/healthz"

done = common.done
