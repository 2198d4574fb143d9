--[[ snapshot.lua: read several counters at one instant (a plain pipeline could interleave
with a reserve and show one scope before and another after it).

KEYS[1..n] {tm}:c:<scope key>
Returns flat {spent_1, reserved_1, count_1, spent_2, ...}; missing counters read as 0.
]]
local out = {}
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'spent', 'reserved', 'count')
  out[#out + 1] = tonumber(v[1] or 0)
  out[#out + 1] = tonumber(v[2] or 0)
  out[#out + 1] = tonumber(v[3] or 0)
end
return out
