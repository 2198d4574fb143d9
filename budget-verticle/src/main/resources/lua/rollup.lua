--[[ rollup.lua: prepended to every script that appends to the ledger (settle, record,
rollup-rebuild), so that an entry and its usage rollups are written in the same step and can
never disagree.

A rollup is a hash per hour ({tm}:u:h:<epoch hour>) and per day in the budget's time zone
({tm}:u:d:<yyyy-mm-dd>); a field is the dimensions tenant, key id, provider, model, tier and
route reason joined by \31 (the unit separator), its value 'calls,prompt tokens,completion
tokens,cost µ$,premium-equivalent µ$'. One field per combination, not one per figure: a report
reads a fifth of the fields, and the dimensions are stored once.
Each hash expires at its period's end plus the granularity's retention, which bounds their
number whatever the traffic. The caller passes the time left until then by the gateway's clock
(PEXPIRE, not PEXPIREAT: expiries follow the mesh's clock, whatever Redis's says).
]]
local function rollupAdd(key, ttl, dims, calls, tin, tout, cost, prem)
  local n, i, o, c, p = 0, 0, 0, 0, 0
  local cur = redis.call('HGET', key, dims)
  if cur then
    local a, b, d, e, f = string.match(cur, '^(%d+),(%d+),(%d+),(%d+),(%d+)$')
    if a then
      n, i, o, c, p = tonumber(a), tonumber(b), tonumber(d), tonumber(e), tonumber(f)
    end
  end
  -- %.0f: Lua numbers are doubles, exact to 2^53 µ$ (9 billion dollars); tostring would switch
  -- to exponent notation long before that.
  redis.call('HSET', key, dims, string.format('%.0f,%.0f,%.0f,%.0f,%.0f', n + calls,
      i + tonumber(tin), o + tonumber(tout), c + tonumber(cost), p + tonumber(prem)))
  redis.call('PEXPIRE', key, ttl)
end

-- spec: {hourKey, hour ttl ms, dayKey, day ttl ms, dims, prompt, completion, premium}
local function rollup(spec, cost)
  rollupAdd(spec[1], spec[2], spec[5], 1, spec[6], spec[7], cost, spec[8])
  rollupAdd(spec[3], spec[4], spec[5], 1, spec[6], spec[7], cost, spec[8])
end
