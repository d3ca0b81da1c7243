--[[
  Keeps a live single-flight holder's lock from expiring under it; a dead holder's lock runs out within
  one TTL. KEYS: the lock. ARGV: the holder's token, the TTL in ms. Returns 1 when renewed, 0 when the
  lock is no longer this holder's.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
