--[[ settle.lua: close one attempt. Settle moves the actual cost into spend and appends the
ledger entry; release only gives the reservation back. Counters and ledger change in this one
script, so they cannot disagree.

KEYS[1] {tm}:r:<member>       reservation hash: _amount, _deadline, _holder, <counter key> -> µ$
KEYS[2] {tm}:reservations     ZSET of open reservations
KEYS[3] {tm}:done:<member>    record of the outcome; makes a repeated settle a no-op
KEYS[4] {tm}:ledger           ledger stream
KEYS[5] {tm}:halt:<provider>  set when this settle overruns its reservation: reservations for
                              the provider are refused while it exists (reserve.lua)
KEYS[6] {tm}:u:h:<hour>       the hour's usage rollup   KEYS[7] {tm}:u:d:<day> the day's (rollup.lua)

ARGV[1] member   ARGV[2] 'settle' | 'release'   ARGV[3] actual µ$ (settle)
ARGV[4] done-record ttl ms   ARGV[5] now ms by the gateway's clock (ledger time)
ARGV[6] halt ttl ms (until the current day window ends)
ARGV[7] hour rollup ttl ms   ARGV[8] day rollup ttl ms   ARGV[9] rollup dimensions
ARGV[10] prompt tokens   ARGV[11] completion tokens   ARGV[12] premium-equivalent µ$
ARGV[13..] ledger field/value pairs describing the call (request id, tenant, model, tokens...)

Counter keys are read from the reservation; they share the {tm} hash tag with the
declared keys, so they live in the same cluster slot.

Returns {outcome, charged, reserved, ledger id or '', overrun 0|1, repeat 0|1, figures}
where figures is flat {counter key, spent, reserved, ...} after a charge (empty otherwise): the
budget role judges alert thresholds on them, on actual spend, outside this script. Outcome is
'settled' | 'released' | 'late' | 'unknown' (a repeat after an unknown release: 'void').
]]
local settle = ARGV[2] == 'settle'
local now = tonumber(ARGV[5])

local function figures(counters)
  local out = {}
  for _, k in ipairs(counters) do
    local v = redis.call('HMGET', k, 'spent', 'reserved')
    out[#out + 1] = k
    out[#out + 1] = tonumber(v[1] or 0)
    out[#out + 1] = tonumber(v[2] or 0)
  end
  return out
end

local function appendLedger(counters, reserved, late, over)
  rollup({KEYS[6], ARGV[7], KEYS[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]}, ARGV[3])
  local fields = {}
  for i = 13, #ARGV do
    fields[#fields + 1] = ARGV[i]
  end
  for _, v in ipairs({'cost', ARGV[3], 'reserved', reserved, 'ts', ARGV[5],
      'keys', table.concat(counters, ','), 'late', late, 'over', over}) do
    fields[#fields + 1] = v
  end
  return redis.call('XADD', KEYS[4], '*', unpack(fields))
end

local function split(joined)
  local out = {}
  for k in string.gmatch(joined or '', '[^,]+') do
    out[#out + 1] = k
  end
  return out
end

local done = redis.call('HMGET', KEYS[3], 'state', 'cost', 'reserved', 'ledger', 'over', 'keys')
if done[1] then
  if not (settle and done[1] == 'released') then
    return {done[1], tonumber(done[2]), tonumber(done[3]), done[4], tonumber(done[5]), 1, {}}
  end
  -- Reaped while the call was still running: the provider bills it, so the ledger must too.
  local counters = split(done[6])
  for _, k in ipairs(counters) do
    redis.call('HINCRBY', k, 'spent', ARGV[3])
    redis.call('HINCRBY', k, 'count', 1)
  end
  local charged = figures(counters)
  local id = appendLedger(counters, '0', '1', '0')
  redis.call('HSET', KEYS[3], 'state', 'late', 'cost', ARGV[3], 'reserved', 0, 'ledger', id)
  redis.call('PEXPIRE', KEYS[3], ARGV[4])
  return {'late', tonumber(ARGV[3]), 0, id, 0, 0, charged}
end

local r = redis.call('HGETALL', KEYS[1])
if #r == 0 then
  if not settle then
    -- A release that overtook its own reserve (the reserve timed out for the caller and is still
    -- on its way, e.g. queued on a stalled connection) leaves a tombstone: the late reserve then
    -- answers 'closed' instead of holding budget nobody will ever settle.
    redis.call('HSET', KEYS[3], 'state', 'void', 'cost', 0, 'reserved', 0, 'ledger', '',
        'over', 0, 'keys', '')
    redis.call('PEXPIRE', KEYS[3], ARGV[4])
  end
  return {'unknown', 0, 0, '', 0, 0, {}}
end
local amount = '0'
local counters, held = {}, {}
for i = 1, #r, 2 do
  if r[i] == '_amount' then
    amount = r[i + 1]
  elseif string.sub(r[i], 1, 1) ~= '_' then
    counters[#counters + 1] = r[i]
    held[#counters] = r[i + 1]
  end
end

local actual = settle and ARGV[3] or '0'
local over = (settle and tonumber(actual) > tonumber(amount)) and 1 or 0
for i, k in ipairs(counters) do
  -- HINCRBY rejects "-0"
  if held[i] ~= '0' then
    redis.call('HINCRBY', k, 'reserved', '-' .. held[i])
  end
  if settle then
    redis.call('HINCRBY', k, 'spent', actual)
  else
    redis.call('HINCRBY', k, 'count', -1)
  end
end

local id, charged = '', {}
if settle then
  charged = figures(counters)
  id = appendLedger(counters, amount, '0', tostring(over))
end
if over == 1 then
  -- Only a backend that reports more than the bound allows gets here: stop paying it until an
  -- operator looked (or the day rolls), in the same step that charged it.
  redis.call('HSET', KEYS[5], 'member', ARGV[1], 'cost', actual, 'reserved', amount,
      'ledger', id, 'at', ARGV[5])
  redis.call('PEXPIRE', KEYS[5], ARGV[6])
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local state = settle and 'settled' or 'released'
redis.call('HSET', KEYS[3], 'state', state, 'cost', actual, 'reserved', amount, 'ledger', id,
    'over', over, 'keys', table.concat(counters, ','))
redis.call('PEXPIRE', KEYS[3], ARGV[4])
return {state, tonumber(actual), tonumber(amount), id, over, 0, charged}
