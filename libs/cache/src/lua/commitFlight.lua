--[[
  A single-flight holder's last step, atomically: store the entry (unless there is none to store),
  release the lock if it is still ours, and ring the waiters. Waiters that then find the lock gone and
  no entry know the holder failed and call for themselves.
  KEYS: the entry, its lock.
  ARGV: the entry ('' = none), its retention in ms, the lock's token, the events channel, the event.
]]
if ARGV[1] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
