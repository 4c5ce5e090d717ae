-- Store a changed case if its stored version is still the one read; atomic with its audit,
-- the index of disputed cases and the sets of cases by status.
-- KEYS[1] case hash, KEYS[2] audit list, KEYS[3] disputed cases (sorted set by disputed_at),
-- KEYS[4] the set of cases in the new status, KEYS[5..] the sets of every other status
-- ARGV[1] expected version, ARGV[2] new version, ARGV[3] case doc, ARGV[4] audit entry,
-- ARGV[5] case id, ARGV[6] disputed_at when the new status is disputed, else ''
local version = redis.call('HGET', KEYS[1], 'version')
if version ~= ARGV[1] then
  return 'conflict'
end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'doc', ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[4])
if ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[5])
else
  redis.call('ZREM', KEYS[3], ARGV[5])
end
for i = 5, #KEYS do
  redis.call('SREM', KEYS[i], ARGV[5])
end
redis.call('SADD', KEYS[4], ARGV[5])
return 'ok'
