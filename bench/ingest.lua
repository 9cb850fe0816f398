-- ingest.lua: wrk script for bench/ingest.
--
-- BENCH_DATA names a file of "signature<TAB>body" lines, each body a signed
-- push payload (GitHub signs only the body); every request takes the next
-- line and a delivery id of its own.  Once the lines are used up they come
-- round again: the same signed bytes under a new id are a replay, which
-- lethe-hook answers 200 "duplicate" (counted as dups), a new one 202.
-- BENCH_DELAY_MS (optional): mean pause before each request, exponentially
-- distributed, to hold the rate near a target.  done() prints one line:
-- "result requests=N non2xx=N dups=N errors=N rps=R p50_ms=X p99_ms=Y".

local bodies, sigs = {}, {}
local counter, prefix = 0, ""
id = 0	-- set per thread by setup()
dups = 0	-- 200 answers of this thread: replays
local delay_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
local threads = {}

function setup(thread)
	thread:set("id", #threads + 1)
	table.insert(threads, thread)
end

function init(args)
	local f = assert(io.open(os.getenv("BENCH_DATA"), "r"))
	for line in f:lines() do
		local sig, body = line:match("^([^\t]+)\t(.*)$")
		table.insert(sigs, sig)
		table.insert(bodies, body)
	end
	f:close()
	prefix = os.getenv("BENCH_PREFIX") or "bench"
	math.randomseed(os.time() + id)
end

function request()
	counter = counter + 1
	local i = (counter % #bodies) + 1
	local headers = {
		["Content-Type"] = "application/json",
		["X-GitHub-Event"] = "push",
		["X-GitHub-Delivery"] = string.format("%s-%d-%d", prefix, id, counter),
		["X-Hub-Signature-256"] = "sha256=" .. sigs[i],
	}
	return wrk.format("POST", nil, headers, bodies[i])
end

function response(status, headers, body)
	if status == 200 then
		dups = dups + 1
	end
end

if delay_ms > 0 then
	function delay()
		return math.floor(-math.log(1 - math.random()) * delay_ms)
	end
end

function done(summary, latency, requests)
	local secs = summary.duration / 1e6
	local bad = summary.errors.status
	local errs = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
	local d = 0
	for _, t in ipairs(threads) do
		d = d + t:get("dups")
	end
	io.write(string.format("result requests=%d non2xx=%d dups=%d errors=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f\n",
		summary.requests, bad, d, errs, summary.requests / secs,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
