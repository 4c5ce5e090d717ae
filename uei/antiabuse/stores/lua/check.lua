-- One quota check for a BAP, deduplicated on the Beckn message id, recording the search.
-- Every key shares the BAP's hash tag, so this is atomic on a cluster too.
-- KEYS[1] the rule's stored theoretical arrival time (GCRA, as in gcra.lua)
-- KEYS[2] this check's answer, kept for a retry of the same message id
-- KEYS[3] the search event's dedupe key (shared with events uploaded later)
-- KEYS[4] the event-time bucket the search is appended to
-- ARGV[1] now in seconds, or '' for the store's own clock (TIME: one clock for every replica)
-- ARGV[2] interval, ARGV[3] burst, ARGV[4] cost
-- ARGV[5] how long the answer is kept for retries, in ms
-- ARGV[6] the encoded search event, or '' to record nothing
-- ARGV[7] how long recorded events and their dedupe keys are kept, in ms
-- Returns {allowed, remaining, retry_after, reset_after, now, duplicate, new_bucket}.
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
else
  now = tonumber(ARGV[1])
end
local keep = tonumber(ARGV[7])
local before = redis.call('GET', KEYS[2])
if before then
  local a = cjson.decode(before)
  return {a[1], a[2], a[3], a[4], tostring(now), 1, 0}
end
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local tat = tonumber(redis.call('GET', KEYS[1]))
local base = now
if tat and tat > now then
  base = tat
end
local new_tat = base + cost * interval
local allow_at = base + (cost - burst) * interval
local answer
if now < allow_at then
  local remaining = math.max(0, math.floor((now - (base - burst * interval)) / interval))
  answer = {0, remaining, tostring(allow_at - now), tostring(base - now)}
else
  redis.call('SET', KEYS[1], string.format('%.6f', new_tat), 'PX',
    math.ceil((new_tat - now) * 1000) + 1000)
  local remaining = math.max(0, math.floor((now - allow_at) / interval))
  answer = {1, remaining, '0', tostring(new_tat - now)}
end
redis.call('SET', KEYS[2], cjson.encode(answer), 'PX', tonumber(ARGV[5]))
local new_bucket = 0
if ARGV[6] ~= '' and redis.call('SET', KEYS[3], '1', 'NX', 'PX', keep) then
  if redis.call('RPUSH', KEYS[4], ARGV[6]) == 1 then
    new_bucket = 1
  end
  redis.call('PEXPIRE', KEYS[4], keep)
end
return {answer[1], answer[2], answer[3], answer[4], tostring(now), 0, new_bucket}
