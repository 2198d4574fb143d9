--[[ rollup.lua: prepended to every script that appends to the ledger (settle, record,
rollup-rebuild), so that an entry and its usage rollups are written in the same step and can
never disagree.

A rollup is a hash per hour ({tm}:u:h:<epoch hour>) and per day in the budget's time zone
({tm}:u:d:<yyyy-mm-dd>); a field is '<dimensions>\31<metric>' with the dimensions tenant, key id,
provider, model, tier and route reason joined by \31 (the unit separator) and the metrics
n (calls), i (prompt tokens), o (completion tokens), c (cost µ$), p (premium-equivalent µ$).
Each hash expires at its period's end plus the granularity's retention, which bounds their
number whatever the traffic. The caller passes the time left until then by the gateway's clock
(PEXPIRE, not PEXPIREAT: expiries follow the mesh's clock, whatever Redis's says).
]]
local function rollupAdd(key, ttl, dims, calls, tin, tout, cost, prem)
  local sep = '\31'
  redis.call('HINCRBY', key, dims .. sep .. 'n', calls)
  redis.call('HINCRBY', key, dims .. sep .. 'i', tin)
  redis.call('HINCRBY', key, dims .. sep .. 'o', tout)
  redis.call('HINCRBY', key, dims .. sep .. 'c', cost)
  redis.call('HINCRBY', key, dims .. sep .. 'p', prem)
  redis.call('PEXPIRE', key, ttl)
end

-- spec: {hourKey, hour ttl ms, dayKey, day ttl ms, dims, prompt, completion, premium}
local function rollup(spec, cost)
  rollupAdd(spec[1], spec[2], spec[5], 1, spec[6], spec[7], cost, spec[8])
  rollupAdd(spec[3], spec[4], spec[5], 1, spec[6], spec[7], cost, spec[8])
end
