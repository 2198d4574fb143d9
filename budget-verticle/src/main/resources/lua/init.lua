--[[ init.lua: learn the epoch, or start one when Redis holds no budget state at all.

The epoch marks the counters as trustworthy. A missing epoch with a non-empty ledger or open
reservations means counters were lost while their history survived: they must be rebuilt
before anything is admitted.

KEYS[1] {tm}:epoch         epoch marker (string)
KEYS[2] {tm}:ledger        ledger stream
KEYS[3] {tm}:reservations  open reservations (ZSET)
KEYS[4] {tm}:trimmed       set once the ledger was trimmed: its history lives on in the
                           counter bases, so an empty ledger is not a fresh start
ARGV[1] epoch to set if this is the first use

Returns {'ok', epoch} | {'rebuild'}
]]
local epoch = redis.call('GET', KEYS[1])
if epoch then
  return {'ok', epoch}
end
if redis.call('XLEN', KEYS[2]) == 0 and redis.call('ZCARD', KEYS[3]) == 0
    and redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('SET', KEYS[1], ARGV[1])
  return {'ok', ARGV[1]}
end
return {'rebuild'}
