-- Record a batch of one BAP's events, each once per (kind, message id).
-- Every key shares the BAP's hash tag. KEYS come in pairs: the event's dedupe key, then the
-- event-time bucket it is appended to. ARGV[1] how long keys are kept (ms), then one encoded
-- event per pair. Returns {recorded, new buckets...}.
local keep = tonumber(ARGV[1])
local recorded = 0
local fresh = {}
for i = 1, #KEYS, 2 do
  if redis.call('SET', KEYS[i], '1', 'NX', 'PX', keep) then
    recorded = recorded + 1
    if redis.call('RPUSH', KEYS[i + 1], ARGV[(i + 1) / 2 + 1]) == 1 then
      fresh[#fresh + 1] = KEYS[i + 1]
    end
    redis.call('PEXPIRE', KEYS[i + 1], keep)
  end
end
local out = {recorded}
for _, key in ipairs(fresh) do
  out[#out + 1] = key
end
return out
