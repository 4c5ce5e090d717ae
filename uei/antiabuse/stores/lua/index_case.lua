-- Put a case in the index of disputed cases and in the set of its status, by its stored
-- status (and out of the others): the backfill of the indexes for cases stored before they
-- existed. Atomic with save_case, so a case changed while the backfill runs ends as its last
-- write left it.
-- KEYS[1] case hash, KEYS[2] disputed cases (sorted set by disputed_at),
-- KEYS[3..] the sets of cases by status, ARGV[1] case id, ARGV[2..] their statuses
-- Returns 1 if the case is disputed, else 0.
local doc = redis.call('HGET', KEYS[1], 'doc')
if not doc then
  return 0
end
local case = cjson.decode(doc)
local status = case.status or 'open'
for i = 3, #KEYS do
  if ARGV[i - 1] == status then
    redis.call('SADD', KEYS[i], ARGV[1])
  else
    redis.call('SREM', KEYS[i], ARGV[1])
  end
end
if status == 'disputed' then
  local at = case.disputed_at
  if type(at) ~= 'number' then
    at = case.updated
  end
  redis.call('ZADD', KEYS[2], string.format('%.17g', at), ARGV[1])
  return 1
end
redis.call('ZREM', KEYS[2], ARGV[1])
return 0
