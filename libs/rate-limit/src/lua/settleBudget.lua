--[[
  Replaces a reservation with real spend. Only a reservation still pending is settled (ZREM says so),
  which makes a second delivery of the same settlement a no-op.
  KEYS: per subject, its hash then its reservation set.
  ARGV: id, tokens, cost, key ttl.
  Returns how many subjects were settled.
]]
--- @include "includes/forgetReservation"
local settled = 0
for i = 1, #KEYS, 2 do
  local hash, ledger = KEYS[i], KEYS[i + 1]
  if redis.call('ZREM', ledger, ARGV[1]) == 1 then
    forgetReservation(hash, ARGV[1])
    if tonumber(ARGV[2]) ~= 0 then redis.call('HINCRBY', hash, 'spent_tokens', ARGV[2]) end
    if tonumber(ARGV[3]) ~= 0 then redis.call('HINCRBYFLOAT', hash, 'spent_cost', ARGV[3]) end
    redis.call('EXPIRE', hash, ARGV[4])
    settled = settled + 1
  end
end
return settled
