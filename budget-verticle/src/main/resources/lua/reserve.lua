--[[ reserve.lua: hold an amount in every applicable scope at once, or change nothing.

KEYS[1]             {tm}:epoch               must equal ARGV[1]; missing = counters lost
KEYS[2]             {tm}:r:<member>          reservation hash, created here
KEYS[3]             {tm}:reservations        ZSET member -> deadline ms, read by the reaper
KEYS[4]             {tm}:done:<member>       record of a settled/released attempt
KEYS[5]             {tm}:halt:<provider>     present while the provider is halted after an
                                             overrun (settle.lua sets it)
KEYS[5+1 .. 5+n]    {tm}:c:<scope key>       counters: spent, reserved, count, alertAt, windowEnd
KEYS[5+n+1 .. 5+2n] {tm}:alert:<scope key>   alert markers, one per counter and window

ARGV[1] expected epoch   ARGV[2] amount µ$   ARGV[3] deadline ms   ARGV[4] holder node
ARGV[5] member (<attempt>:<request id>)
then 6 per scope i, starting at ARGV[6 + 6(i-1)]:
  limit µ$ | request cap | alert threshold µ$ (each -1 = none) | window end ms |
  alert marker ttl ms | counter ttl ms
Expiries are relative, computed from the gateway's clock: an absolute time would be judged by
Redis's clock, and any skew between the two would expire markers early or late.

Amounts are passed to HINCRBY as the caller's strings: Lua numbers would reach Redis in %.17g
form ("1e+15") which HINCRBY rejects.

Returns
  {'rebuild'} | {'epoch', current} | {'closed', state} | {'halted'}
  {'exhausted', i, 'spend'|'requests', usage}
  {'admitted'|'duplicate', usage, alerts}
where usage is flat {spent_1, reserved_1, count_1, spent_2, ...} and alerts lists the scope
indexes whose threshold this reservation crossed first in the window.
]]
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  return {'rebuild'}
end
if epoch ~= ARGV[1] then
  return {'epoch', epoch}
end

local n = (#KEYS - 5) / 2
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
  return {'duplicate', usage(), {}}
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
  local arg = 6 + 6 * (i - 1)
  local limit, cap = tonumber(ARGV[arg]), tonumber(ARGV[arg + 1])
  local spent, reserved, count = u[3 * i - 2], u[3 * i - 1], u[3 * i]
  if limit >= 0 and spent + reserved + amount > limit then
    return {'exhausted', i, 'spend', u}
  end
  if cap >= 0 and count + 1 > cap then
    return {'exhausted', i, 'requests', u}
  end
end

local alerts = {}
redis.call('HSET', KEYS[2], '_amount', ARGV[2], '_deadline', ARGV[3], '_holder', ARGV[4])
for i = 1, n do
  local arg = 6 + 6 * (i - 1)
  local counter = KEYS[5 + i]
  redis.call('HINCRBY', counter, 'reserved', ARGV[2])
  redis.call('HINCRBY', counter, 'count', 1)
  redis.call('HSET', counter, 'alertAt', ARGV[arg + 2], 'windowEnd', ARGV[arg + 3])
  redis.call('PEXPIRE', counter, ARGV[arg + 5])
  redis.call('HSET', KEYS[2], counter, ARGV[2])
  u[3 * i - 1] = u[3 * i - 1] + amount
  u[3 * i] = u[3 * i] + 1
  local alertAt = tonumber(ARGV[arg + 2])
  if alertAt >= 0 and u[3 * i - 2] + u[3 * i - 1] >= alertAt then
    if redis.call('SET', KEYS[5 + n + i], '1', 'NX', 'PX', ARGV[arg + 4]) then
      alerts[#alerts + 1] = i
    end
  end
end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[5])
return {'admitted', u, alerts}
