-- Publishes a rules version: one atomic step, so two routers publishing at once get two
-- numbers in one order, and a version equal to the one in force is not recorded twice.
-- KEYS[1] {tm}:rules:seq, KEYS[2] {tm}:rules:log, KEYS[3] {tm}:rules:current
-- ARGV: version, text, source, who, why, atMillis, node, always (1|0), keep, entry key prefix
local cur = redis.call('GET', KEYS[3])
if cur and ARGV[8] ~= '1' then
  if redis.call('HGET', ARGV[10] .. cur, 'version') == ARGV[1] then
    return {tonumber(cur), 0}
  end
end
local n = redis.call('INCR', KEYS[1])
redis.call('HSET', ARGV[10] .. n, 'version', ARGV[1], 'text', ARGV[2], 'source', ARGV[3],
  'who', ARGV[4], 'why', ARGV[5], 'at', ARGV[6], 'node', ARGV[7], 'previous', cur or '')
redis.call('SET', KEYS[3], n)
redis.call('LPUSH', KEYS[2], n)
local keep = tonumber(ARGV[9])
for _, old in ipairs(redis.call('LRANGE', KEYS[2], keep, -1)) do
  redis.call('DEL', ARGV[10] .. old)
end
redis.call('LTRIM', KEYS[2], 0, keep - 1)
return {n, 1}
