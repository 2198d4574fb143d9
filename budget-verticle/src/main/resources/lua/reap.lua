--[[ reap.lua: release reservations whose deadline passed (their holder is presumed dead).
Same effect as a release in settle.lua; a holder that was only slow can still settle later
and is charged as 'late'.

KEYS[1] {tm}:reservations   ZSET member -> deadline ms
ARGV[1] now ms   ARGV[2] most reservations to release in this call   ARGV[3] done-record ttl ms

Reservation and done keys are derived from members ({tm}:r:<member>, {tm}:done:<member>) and
share the {tm} hash tag. Returns the number released.
]]
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, m in ipairs(members) do
  local rk = '{tm}:r:' .. m
  local r = redis.call('HGETALL', rk)
  local amount = '0'
  local counters = {}
  for i = 1, #r, 2 do
    if r[i] == '_amount' then
      amount = r[i + 1]
    elseif string.sub(r[i], 1, 1) ~= '_' then
      counters[#counters + 1] = r[i]
      if r[i + 1] ~= '0' then
        redis.call('HINCRBY', r[i], 'reserved', '-' .. r[i + 1])
      end
      redis.call('HINCRBY', r[i], 'count', -1)
    end
  end
  redis.call('DEL', rk)
  redis.call('ZREM', KEYS[1], m)
  local dk = '{tm}:done:' .. m
  redis.call('HSET', dk, 'state', 'released', 'cost', 0, 'reserved', amount, 'ledger', '',
      'over', 0, 'keys', table.concat(counters, ','), 'reaped', 1)
  redis.call('PEXPIRE', dk, ARGV[3])
end
return #members
