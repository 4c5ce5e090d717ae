-- Record one token's neighbours as seen at a time; counts new neighbours per family.
-- KEYS[1] the token's neighbour hash (neighbour -> last seen), KEYS[2] its degree hash
-- ARGV[1] seen at, then pairs: neighbour, neighbour's family
local seen = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  local was = redis.call('HGET', KEYS[1], ARGV[i])
  if not was then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[1])
    redis.call('HINCRBY', KEYS[2], ARGV[i + 1], 1)
  elseif tonumber(was) < seen then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[1])
  end
end
return 'ok'
