--[[
  Counts one request in every fixed window of a request, in one call: a window starts with its first
  request and lasts its length (INCR, and PEXPIRE when the key has no expiry yet).
  KEYS: one counter per window.
  ARGV: one window length in milliseconds per key.
  Returns a count/milliseconds-left pair per key.
]]
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    ttl = tonumber(ARGV[i])
    redis.call('PEXPIRE', key, ttl)
  end
  out[2 * i - 1] = count
  out[2 * i] = ttl
end
return out
