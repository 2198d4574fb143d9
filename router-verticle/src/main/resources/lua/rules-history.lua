-- The newest ARGV[1] published versions without their text, and the number in force.
-- KEYS[1] {tm}:rules:log, KEYS[2] {tm}:rules:current; ARGV[2] entry key prefix
local out = {redis.call('GET', KEYS[2]) or ''}
for _, n in ipairs(redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)) do
  local f = redis.call('HMGET', ARGV[2] .. n, 'version', 'source', 'who', 'why', 'at', 'node',
    'previous')
  table.insert(out, n)
  for i = 1, 7 do table.insert(out, f[i] or '') end
end
return out
