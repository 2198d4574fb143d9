--[[ reserve.lua: hold an amount in every applicable scope at once, or change nothing.

KEYS[1]             {tm}:epoch               must equal ARGV[1]; missing = counters lost
KEYS[2]             {tm}:r:<member>          reservation hash, created here
KEYS[3]             {tm}:reservations        ZSET member -> deadline ms, read by the reaper
KEYS[4]             {tm}:done:<member>       record of a settled/released attempt
KEYS[5]             {tm}:halt:<provider>     present while the provider is halted after an
                                             overrun (settle.lua sets it)
KEYS[5+1 .. 5+n]    {tm}:c:<scope key>       counters: spent, reserved, count

ARGV[1] expected epoch   ARGV[2] amount µ$   ARGV[3] deadline ms   ARGV[4] holder node
ARGV[5] member (<attempt>:<request id>)
then 3 per scope i, starting at ARGV[6 + 3(i-1)]:
  limit µ$ | request cap (each -1 = none) | counter ttl ms
The expiry is relative, computed from the gateway's clock: an absolute time would be judged by
Redis's clock, and any skew between the two would expire counters early or late.
Alert thresholds are not judged here: they follow actual spend, so the budget role evaluates
them on what settle.lua reports (a reservation alone never alerts).

Amounts are passed to HINCRBY as the caller's strings: Lua numbers would reach Redis in %.17g
form ("1e+15") which HINCRBY rejects.

Returns
  {'rebuild'} | {'epoch', current} | {'closed', state} | {'halted'}
  {'exhausted', i, 'spend'|'requests', usage}
  {'admitted'|'duplicate', usage}
where usage is flat {spent_1, reserved_1, count_1, spent_2, ...}.
]]
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  return {'rebuild'}
end
if epoch ~= ARGV[1] then
  return {'epoch', epoch}
end

local n = #KEYS - 5
local function usage()
  local u = {}
  for i = 1, n do
    local v = redis.call('HMGET', KEYS[5 + i], 'spent', 'reserved', 'count')
    u[#u + 1] = tonumber(v[1] or 0)
    u[#u + 1] = tonumber(v[2] or 0)
    u[#u + 1] = tonumber(v[3] or 0)
  end
  return u
end

-- a retried bus request must not reserve twice
if redis.call('EXISTS', KEYS[2]) == 1 then
  return {'duplicate', usage()}
end
local state = redis.call('HGET', KEYS[4], 'state')
if state then
  return {'closed', state}
end
if redis.call('EXISTS', KEYS[5]) == 1 then
  return {'halted'}
end

local amount = tonumber(ARGV[2])
local u = usage()
for i = 1, n do
  local arg = 6 + 3 * (i - 1)
  local limit, cap = tonumber(ARGV[arg]), tonumber(ARGV[arg + 1])
  local spent, reserved, count = u[3 * i - 2], u[3 * i - 1], u[3 * i]
  if limit >= 0 and spent + reserved + amount > limit then
    return {'exhausted', i, 'spend', u}
  end
  if cap >= 0 and count + 1 > cap then
    return {'exhausted', i, 'requests', u}
  end
end

redis.call('HSET', KEYS[2], '_amount', ARGV[2], '_deadline', ARGV[3], '_holder', ARGV[4])
for i = 1, n do
  local counter = KEYS[5 + i]
  redis.call('HINCRBY', counter, 'reserved', ARGV[2])
  redis.call('HINCRBY', counter, 'count', 1)
  redis.call('PEXPIRE', counter, ARGV[6 + 3 * (i - 1) + 2])
  redis.call('HSET', KEYS[2], counter, ARGV[2])
  u[3 * i - 1] = u[3 * i - 1] + amount
  u[3 * i] = u[3 * i] + 1
end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5])
return {'admitted', u}
