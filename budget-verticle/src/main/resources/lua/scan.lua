-- One SCAN step on the node holding the budget's keys. KEYS[1] is any budget key: it is never
-- read, it only makes a cluster client route this script to the node that owns the budget's
-- slot (a bare SCAN would go to whichever node the client picks).
-- ARGV: cursor, MATCH pattern, COUNT.
return redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
