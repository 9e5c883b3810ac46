-- Expand: each cycle-time decision gains the histogram bucket its duration
-- falls in (0: up to 1 h, then up to 4 h, 8 h, 1 d, 2 d, 3 d, 5 d, 7 d, 14 d,
-- 30 d; 10: longer), so the cycle-time report can count decisions per bucket
-- with one grouped query. Nullable: rows an older release's worker writes
-- during a rolling upgrade have no bucket, and readers place those by their
-- duration. Existing rows are backfilled here.

ALTER TABLE rm_cycle_decisions ADD COLUMN duration_bucket INTEGER NULL;

UPDATE rm_cycle_decisions SET duration_bucket = CASE
    WHEN duration_us <= 3600000000 THEN 0
    WHEN duration_us <= 14400000000 THEN 1
    WHEN duration_us <= 28800000000 THEN 2
    WHEN duration_us <= 86400000000 THEN 3
    WHEN duration_us <= 172800000000 THEN 4
    WHEN duration_us <= 259200000000 THEN 5
    WHEN duration_us <= 432000000000 THEN 6
    WHEN duration_us <= 604800000000 THEN 7
    WHEN duration_us <= 1209600000000 THEN 8
    WHEN duration_us <= 2592000000000 THEN 9
    ELSE 10 END;
