--[[ trim.lua: drop ledger entries older than the retention, oldest first, in one bounded batch.

Every entry is already in the usage rollups (settle.lua and record.lua write both at once), but
the counters must stay rebuildable: before an entry goes, its cost and count are added to the
base of every counter it charged ({tm}:cb:<scope key>, living as long as the counter). A
rebuild starts from the bases and adds the ledger that is left, so it gives the same sums as
the whole ledger would have.

KEYS[1] {tm}:ledger   KEYS[2] {tm}:rebuild-lock   KEYS[3] {tm}:epoch   KEYS[4] {tm}:trimmed
ARGV[1] retention ms: entries whose id (Redis's clock, as the stream assigns ids) is older
        than that are dropped   ARGV[2] batch size
ARGV[3] base ttl ms when its counter has none (the counter is gone: keep the base as long as
        the longest counter could live)

Never runs while counters are untrusted or a rebuild is reading: a rebuild reads the bases and
then the ledger, and an entry moved between the two would be counted twice or not at all.
Returns {'trimmed', entries} | {'skipped'}
]]
if not redis.call('GET', KEYS[3]) or redis.call('EXISTS', KEYS[2]) == 1 then
  return {'skipped'}
end
local t = redis.call('TIME')
local cutoff = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[1])
if cutoff <= 0 then
  return {'trimmed', 0}
end
local entries = redis.call('XRANGE', KEYS[1], '-', '(' .. string.format('%d', cutoff) .. '-0',
    'COUNT', tonumber(ARGV[2]))
if #entries == 0 then
  return {'trimmed', 0}
end
for _, entry in ipairs(entries) do
  local f = entry[2]
  local cost, keys = '0', ''
  for j = 1, #f, 2 do
    if f[j] == 'cost' then cost = f[j + 1] elseif f[j] == 'keys' then keys = f[j + 1] end
  end
  for k in string.gmatch(keys, '[^,]+') do
    local base = (string.gsub(k, '^{tm}:c:', '{tm}:cb:'))
    redis.call('HINCRBY', base, 'spent', cost)
    redis.call('HINCRBY', base, 'count', 1)
    local ttl = redis.call('PTTL', k)
    if ttl < 0 then ttl = tonumber(ARGV[3]) end
    if redis.call('PTTL', base) < ttl then
      redis.call('PEXPIRE', base, ttl)
    end
  end
end
-- Everything before the last folded entry was folded too (XRANGE from the start): trim
-- exactly up to and including it.
local last = entries[#entries][1]
local dash = string.find(last, '-', 1, true)
local nextId = string.sub(last, 1, dash) .. (tonumber(string.sub(last, dash + 1)) + 1)
redis.call('XTRIM', KEYS[1], 'MINID', nextId)
redis.call('SET', KEYS[4], '1')
return {'trimmed', #entries}
