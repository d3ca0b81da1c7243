--[[
  Gives back one request in every window counter of KEYS that still counts one; a window that has
  ended meanwhile is left alone (no counter below zero, no key without expiry).
  Returns 0.
]]
for _, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key))
  if count and count > 0 then redis.call('DECR', key) end
end
return 0
