-- Put a case in the index of disputed cases, or take it out, by its stored status: the
-- backfill of the index for cases stored before it existed. Atomic with save_case, so a
-- case changed while the backfill runs ends as its last write left it.
-- KEYS[1] case hash, KEYS[2] disputed cases (sorted set by disputed_at)
-- ARGV[1] case id
local doc = redis.call('HGET', KEYS[1], 'doc')
if not doc then
  return 0
end
local case = cjson.decode(doc)
if case.status == 'disputed' then
  local at = case.disputed_at
  if type(at) ~= 'number' then
    at = case.updated
  end
  redis.call('ZADD', KEYS[2], string.format('%.17g', at), ARGV[1])
  return 1
end
redis.call('ZREM', KEYS[2], ARGV[1])
return 0
