-- One quota check for a BAP, deduplicated on the Beckn message id, recording the search
-- (joined after gcra.lua). Every key shares the BAP's hash tag: atomic on a cluster too.
-- KEYS[1] the rule's stored theoretical arrival time
-- KEYS[2] this check's answer, kept for a retry of the same message id
-- KEYS[3] the search event's dedupe key (shared with events uploaded later)
-- KEYS[4] the event-time bucket the search is appended to
-- ARGV[1] now in seconds, or '' for the store's own clock
-- ARGV[2] interval, ARGV[3] burst, ARGV[4] cost
-- ARGV[5] how long the answer is kept for retries, in ms
-- ARGV[6] the encoded search event, or '' to record nothing
-- ARGV[7] how long recorded events and their dedupe keys are kept, in ms
-- KEYS[5] the request signature's replay mark, ARGV[8] when the signature expires (unix
-- seconds; the mark is kept until then, at least a second), or '' for no mark
-- Returns {allowed, remaining, retry_after, reset_after, now, duplicate, new_bucket, replayed}.
local now = clock(ARGV[1])
if ARGV[8] ~= '' and not redis.call('SET', KEYS[5], '1', 'NX', 'PX',
    math.max(1000, math.ceil((tonumber(ARGV[8]) - now) * 1000))) then
  return {0, 0, '0', '0', tostring(now), 0, 0, 1}
end
local keep = tonumber(ARGV[7])
local before = redis.call('GET', KEYS[2])
if before then
  local a = cjson.decode(before)
  return {a[1], a[2], a[3], a[4], tostring(now), 1, 0, 0}
end
local answer = gcra(KEYS[1], now, tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
redis.call('SET', KEYS[2], cjson.encode(answer), 'PX', tonumber(ARGV[5]))
local new_bucket = 0
if ARGV[6] ~= '' and redis.call('SET', KEYS[3], '1', 'NX', 'PX', keep) then
  if redis.call('RPUSH', KEYS[4], ARGV[6]) == 1 then
    new_bucket = 1
  end
  redis.call('PEXPIRE', KEYS[4], keep)
end
return {answer[1], answer[2], answer[3], answer[4], tostring(now), 0, new_bucket, 0}
