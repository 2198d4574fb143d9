--[[ record.lua: append a free call (no reservation, no counter) to the ledger and its usage
rollups, so that reports and the premium comparison see all traffic.

KEYS[1] {tm}:ledger   KEYS[2] {tm}:u:h:<hour>   KEYS[3] {tm}:u:d:<day>
ARGV[1] hour rollup ttl ms   ARGV[2] day rollup ttl ms   ARGV[3] rollup dimensions
ARGV[4] prompt tokens   ARGV[5] completion tokens   ARGV[6] premium-equivalent µ$
ARGV[7..] ledger field/value pairs
Returns the ledger entry id.
]]
rollup({KEYS[2], ARGV[1], KEYS[3], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]}, 0)
local fields = {}
for i = 7, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
return redis.call('XADD', KEYS[1], '*', unpack(fields))
