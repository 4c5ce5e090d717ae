-- Store a new case unless its (creditor, session_ref) is taken; atomic.
-- KEYS[1] case hash, KEYS[2] refs hash, KEYS[3] audit list, KEYS[4] the set of open cases,
-- KEYS[5..] token index sets
-- ARGV[1] ref field, ARGV[2] case id, ARGV[3] case doc, ARGV[4] audit entry
-- Returns the id of the case stored under the ref: this one, or the one stored before.
local existing = redis.call('HGET', KEYS[2], ARGV[1])
if existing then
  return existing
end
redis.call('HSET', KEYS[1], 'version', 1, 'doc', ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[2])
for i = 5, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[2])
end
redis.call('RPUSH', KEYS[3], ARGV[4])
return ARGV[2]
