--[[
  Admission and reservation in one atomic step, so replicas cannot both admit against the same
  remaining budget (no read-then-write race). Expired reservations (a holder that died) are dropped first.
  KEYS: per subject, its hash then its reservation set.
  ARGV: now, lease expiry, id, tokens, cost, key ttl, then per subject its token and cost budgets ('' = none).
  Returns {0} when reserved, else {subject index, 1 if spend alone reached the budget, 'tokens' | 'cost'}.
]]
--- @include "includes/forgetReservation"
local now = tonumber(ARGV[1])
local subjects = #KEYS / 2
for i = 1, subjects do
  local hash, ledger = KEYS[2 * i - 1], KEYS[2 * i]
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', ledger, '-inf', now, 'LIMIT', 0, 100)) do
    forgetReservation(hash, id)
    redis.call('ZREM', ledger, id)
  end
  if redis.call('ZCARD', ledger) == 0 then
    -- Nothing in flight: clear the float residue that adding and removing costs leaves behind.
    redis.call('HDEL', hash, 'reserved_tokens', 'reserved_cost')
  end
  local v = redis.call('HMGET', hash, 'spent_tokens', 'reserved_tokens', 'spent_cost', 'reserved_cost')
  local spentTokens, spentCost = tonumber(v[1]) or 0, tonumber(v[3]) or 0
  local tokenBudget, costBudget = ARGV[5 + 2 * i], ARGV[6 + 2 * i]
  if tokenBudget ~= '' and spentTokens + (tonumber(v[2]) or 0) >= tonumber(tokenBudget) then
    return {i, spentTokens >= tonumber(tokenBudget) and 1 or 0, 'tokens'}
  end
  if costBudget ~= '' and spentCost + (tonumber(v[4]) or 0) >= tonumber(costBudget) then
    return {i, spentCost >= tonumber(costBudget) and 1 or 0, 'cost'}
  end
end
for i = 1, subjects do
  local hash, ledger = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('HINCRBY', hash, 'reserved_tokens', ARGV[4])
  redis.call('HINCRBYFLOAT', hash, 'reserved_cost', ARGV[5])
  redis.call('HSET', hash, 'r:' .. ARGV[3], ARGV[4] .. ' ' .. ARGV[5])
  redis.call('ZADD', ledger, ARGV[2], ARGV[3])
  redis.call('EXPIRE', hash, ARGV[6])
  redis.call('EXPIRE', ledger, ARGV[6])
end
return {0}
