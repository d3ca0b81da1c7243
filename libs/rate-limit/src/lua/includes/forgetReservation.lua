-- Drops reservation `id` from a subject's reserved totals in `hash` (its amount is kept there as
-- 'r:<id>' = '<tokens> <cost>'); nothing when the hash no longer holds it.
local function forgetReservation(hash, id)
  local field = 'r:' .. id
  local amount = redis.call('HGET', hash, field)
  if not amount then return end
  local sep = string.find(amount, ' ', 1, true)
  local tokens = tonumber(string.sub(amount, 1, sep - 1))
  local cost = string.sub(amount, sep + 1)
  if tokens ~= 0 then redis.call('HINCRBY', hash, 'reserved_tokens', -tokens) end
  if tonumber(cost) ~= 0 then redis.call('HINCRBYFLOAT', hash, 'reserved_cost', '-' .. cost) end
  redis.call('HDEL', hash, field)
end
