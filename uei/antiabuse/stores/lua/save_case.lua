-- Store a changed case if its stored version is still the one read; atomic with its audit.
-- KEYS[1] case hash, KEYS[2] audit list
-- ARGV[1] expected version, ARGV[2] new version, ARGV[3] case doc, ARGV[4] audit entry
local version = redis.call('HGET', KEYS[1], 'version')
if version ~= ARGV[1] then
  return 'conflict'
end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'doc', ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[4])
return 'ok'
