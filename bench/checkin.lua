-- wrk script: sends the pre-signed check-ins from CHECKINS_FILE, each exactly once. Thread k of
-- n takes lines k, k+n, k+2n, ... so no nonce is sent twice; when a thread runs out it stops
-- sending new requests (wrk then reports only what was sent; the few requests already queued
-- on its connections when it stops are replays, refused with 401 and counted as errors).
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  requests = {}
  local file = os.getenv("CHECKINS_FILE")
  local n = 0
  local total = tonumber(os.getenv("WRK_THREADS"))
  for line in io.lines(file) do
    if n % total == id then
      local dev, ts, nonce, sig, body = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", "/api/v1/devices/checkin", {
        ["Content-Type"] = "application/json",
        ["DSS-Device"] = dev, ["DSS-Timestamp"] = ts, ["DSS-Nonce"] = nonce,
        ["DSS-Signature"] = sig }, body)
    end
    n = n + 1
  end
  next_request = 1
end

function request()
  local r = requests[next_request]
  if r == nil then
    wrk.thread:stop()
    return requests[1]
  end
  next_request = next_request + 1
  return r
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx-or-3xx: %d\n", summary.errors.status))
end
