-- Shared by the token API scripts: the realm's path prefix and a one-line summary.
--   BENCH_BASE  path prefix of the realm ("/t/bench/es256" for Gatehouse, "" for the peer)
local M = {}

M.base = os.getenv("BENCH_BASE") or ""

function M.read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if #line > 0 then lines[#lines + 1] = line end
  end
  return lines
end

-- A request() that posts {"FIELD": token} to PATH, each request with the next unused token
-- of BENCH_TOKENS (a file, one token a line), from line BENCH_OFFSET + 1. When the file
-- runs out it sends an empty token, which counts as a non-2xx: the file must outlast the
-- run. With BENCH_CYCLE set, it starts over from the first line instead.
function M.each_token(path, field)
  local tokens = M.read_lines(os.getenv("BENCH_TOKENS"))
  local next_token = tonumber(os.getenv("BENCH_OFFSET") or "0") + 1
  local cycle = os.getenv("BENCH_CYCLE") ~= nil
  return function()
    if cycle and next_token > #tokens then next_token = 1 end
    local token = tokens[next_token] or ""
    next_token = next_token + 1
    return wrk.format("POST", M.base .. path, {["Content-Type"] = "application/json"},
      '{"' .. field .. '": "' .. token .. '"}')
  end
end

-- wrk's done(): one RESULT line a parser can read, then the non-2xx statuses.
function M.done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local non2xx = summary.errors.status
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    non2xx, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end

return M
