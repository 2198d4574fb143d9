--[[ limits.lua: set or delete one runtime budget limit and bump the version, in one step, so
that a node that sees the new version always reads the new limit.

KEYS[1] {tm}:limits       hash: limit name -> '<µ$ cap>|<request cap>|<alert shares>'
KEYS[2] {tm}:limits-ver   version counter, polled by every budget node
ARGV[1] 'set' | 'del'     ARGV[2] limit name     ARGV[3] value (set only)

Returns {changed (0|1), version}
]]
local changed
if ARGV[1] == 'set' then
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
  changed = 1
else
  changed = redis.call('HDEL', KEYS[1], ARGV[2])
end
local version
if changed == 1 then
  version = redis.call('INCR', KEYS[2])
else
  version = tonumber(redis.call('GET', KEYS[2]) or '0')
end
return {changed, version}
