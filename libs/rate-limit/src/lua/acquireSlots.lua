--[[
  Takes one concurrency slot in every limit or none. Each slot is a member of a sorted set scored by its
  lease expiry, so a replica that dies holding slots cannot leak them: expired ones are dropped first.
  KEYS: one slot set per limit.
  ARGV: now, lease expiry, lease ms, slot id, then one limit per key.
  Returns 0 when taken, else the index of the first full limit.
]]
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ARGV[4 + i]) then return i end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, ARGV[2], ARGV[4])
  redis.call('PEXPIRE', key, ARGV[3])
end
return 0
