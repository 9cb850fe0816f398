-- static.lua: the same POST shape against nginx's static 202 (bench/ingest).
local body = string.rep("x", tonumber(os.getenv("BENCH_BODY_BYTES") or "1024"))

function request()
	return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
	io.write(string.format("result requests=%d non2xx=%d errors=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f\n",
		summary.requests, summary.errors.status,
		summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
		summary.requests / (summary.duration / 1e6),
		latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
