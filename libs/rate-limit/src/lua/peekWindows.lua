--[[
  The window counters of KEYS as they stand, counting nothing.
  Returns a count/milliseconds-left pair per key: 0 and -2 for a window with no request yet.
]]
local out = {}
for i, key in ipairs(KEYS) do
  out[2 * i - 1] = tonumber(redis.call('GET', key)) or 0
  out[2 * i] = redis.call('PTTL', key)
end
return out
