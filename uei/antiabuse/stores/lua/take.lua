-- One GCRA bucket (joined after gcra.lua).
-- KEYS[1] the stored theoretical arrival time
-- ARGV[1] now in seconds, or '' for the store's own clock; ARGV[2] interval (seconds per
-- unit), ARGV[3] burst, ARGV[4] cost
-- Returns {allowed (0/1), remaining, retry_after, reset_after}; times as strings.
return gcra(KEYS[1], clock(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))
