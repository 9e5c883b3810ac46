-- Expand: each cycle-time decision gains a rank bucket (0 below 10 us, then
-- one per first two decimal digits and number of digits of its duration:
-- 10 us is 1, 99 us is 90, 100-109 us is 91, 1000-1099 us is 181, ...), indexed
-- with the org, the duration, the decision's time and the department (a
-- percentile walks one bucket in duration order), and the read model keeps how many
-- decisions each UTC day, org, department ('' for none) and pair of buckets
-- has (`rm_cycle_days`), so the cycle-time report counts days and reads
-- the decisions of one rank bucket per percentile instead of all of them.
-- Rows an older release wrote without a duration bucket get theirs here.
-- An older release's processes neither read nor write the new column and
-- table: decisions one of them writes meanwhile count nowhere until
-- `procura projections rebuild cycle_times` (docs/operators/upgrades.md).

ALTER TABLE rm_cycle_decisions ADD COLUMN rank_bucket INTEGER NULL;
UPDATE rm_cycle_decisions SET rank_bucket = CASE WHEN duration_us < 10 THEN 0
    ELSE (LENGTH(CAST(duration_us AS TEXT)) - 1) * 90 + CAST(SUBSTR(CAST(duration_us AS TEXT), 1, 2) AS INTEGER) - 99 END;
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
    ELSE 10 END
WHERE duration_bucket IS NULL;
CREATE INDEX IF NOT EXISTS rm_cycle_decisions__org_rank ON rm_cycle_decisions (org, rank_bucket, duration_us, decided_at, department);
CREATE TABLE IF NOT EXISTS rm_cycle_days (org TEXT NOT NULL, day TEXT NOT NULL, department TEXT NOT NULL, duration_bucket INTEGER NOT NULL, rank_bucket INTEGER NOT NULL, decisions BIGINT NOT NULL, PRIMARY KEY (org, day, department, duration_bucket, rank_bucket));
INSERT INTO rm_cycle_days (org, day, department, duration_bucket, rank_bucket, decisions)
SELECT org, SUBSTR(decided_at, 1, 10), COALESCE(department, ''), duration_bucket, rank_bucket, COUNT(*)
FROM rm_cycle_decisions
GROUP BY org, SUBSTR(decided_at, 1, 10), COALESCE(department, ''), duration_bucket, rank_bucket;
