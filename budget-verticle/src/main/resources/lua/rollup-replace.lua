--[[ rollup-replace.lua: replace one usage rollup hash with sums recomputed from the ledger, at
once (a report never sees it half written).

KEYS[1] {tm}:u:h:<hour> or {tm}:u:d:<day>
ARGV[1] ttl ms   ARGV[2..] field/value pairs
]]
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, 2 do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return #ARGV / 2
