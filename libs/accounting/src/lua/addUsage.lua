--[[
  Adds the same increments to every usage hash in KEYS and renews its expiry.
  ARGV: one TTL in seconds per key, then field/amount pairs; `cost_usd` fields are decimal
  (HINCRBYFLOAT), the rest whole numbers.
  Returns the number of hashes written.
]]
local n = #KEYS
for k = 1, n do
  for i = n + 1, #ARGV, 2 do
    if string.sub(ARGV[i], 1, 8) == 'cost_usd' then
      redis.call('HINCRBYFLOAT', KEYS[k], ARGV[i], ARGV[i + 1])
    else
      redis.call('HINCRBY', KEYS[k], ARGV[i], ARGV[i + 1])
    end
  end
  redis.call('EXPIRE', KEYS[k], ARGV[k])
end
return n
