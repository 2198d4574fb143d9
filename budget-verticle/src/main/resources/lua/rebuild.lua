--[[ rebuild.lua: last step of a rebuild. The caller paged through the ledger and summed it per
counter; this script atomically replaces every counter with those sums, folds in the ledger
entries appended since the caller's last page, adds the open reservations, and sets the new
epoch, which re-opens reservations on every node.

KEYS[1] {tm}:epoch   KEYS[2] {tm}:rebuild-lock   KEYS[3] {tm}:ledger   KEYS[4] {tm}:reservations
ARGV[1] lock token   ARGV[2] new epoch   ARGV[3] id of the last ledger entry summed ('0-0': none)
ARGV[4..] groups of 4: counter key, spent µ$, settled count, ttl ms

Counters are found with SCAN and written by name; all carry the {tm} hash tag.
Returns {'ok', epoch, tail entries} | {'current', epoch} | {'lost-lock'}
]]
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return {'lost-lock'}
end
local current = redis.call('GET', KEYS[1])
if current then
  redis.call('DEL', KEYS[2])
  return {'current', current}
end

local cursor = '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', '{tm}:c:*', 'COUNT', 1000)
  cursor = page[1]
  for _, k in ipairs(page[2]) do
    redis.call('DEL', k)
  end
until cursor == '0'

for i = 4, #ARGV, 4 do
  redis.call('HSET', ARGV[i], 'spent', ARGV[i + 1], 'reserved', 0, 'count', ARGV[i + 2])
  redis.call('PEXPIRE', ARGV[i], ARGV[i + 3])
end

local tail = redis.call('XRANGE', KEYS[3], '(' .. ARGV[3], '+')
for _, entry in ipairs(tail) do
  local f = entry[2]
  local cost, keys = '0', ''
  for j = 1, #f, 2 do
    if f[j] == 'cost' then cost = f[j + 1] elseif f[j] == 'keys' then keys = f[j + 1] end
  end
  for k in string.gmatch(keys, '[^,]+') do
    redis.call('HINCRBY', k, 'spent', cost)
    redis.call('HINCRBY', k, 'count', 1)
  end
end

for _, m in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  local r = redis.call('HGETALL', '{tm}:r:' .. m)
  for j = 1, #r, 2 do
    if string.sub(r[j], 1, 1) ~= '_' then
      redis.call('HINCRBY', r[j], 'reserved', r[j + 1])
      redis.call('HINCRBY', r[j], 'count', 1)
    end
  end
end

redis.call('SET', KEYS[1], ARGV[2])
redis.call('DEL', KEYS[2])
return {'ok', ARGV[2], #tail}
