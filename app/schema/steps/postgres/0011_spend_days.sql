-- Expand: the spend read model (projections/spend.py) keeps its facts'
-- running totals per UTC day, org, department ('' for none), supplier,
-- currency and kind, so the spend report reads days rather than every PO of
-- the period. A new table, filled here from the facts. An older release's
-- processes neither read nor write it: facts one of them writes meanwhile
-- are missing from the totals until `procura projections rebuild spend`
-- (docs/operators/upgrades.md).

CREATE TABLE IF NOT EXISTS rm_spend_days (org TEXT NOT NULL, day TEXT NOT NULL, department TEXT NOT NULL, supplier_id TEXT NOT NULL, currency TEXT NOT NULL, kind TEXT NOT NULL, amount_cents BIGINT NOT NULL, facts BIGINT NOT NULL, PRIMARY KEY (org, day, department, supplier_id, currency, kind));
INSERT INTO rm_spend_days (org, day, department, supplier_id, currency, kind, amount_cents, facts)
SELECT org, SUBSTR(at, 1, 10), COALESCE(department, ''), supplier_id, currency, kind, SUM(amount_cents), COUNT(*)
FROM rm_spend_facts
GROUP BY org, SUBSTR(at, 1, 10), COALESCE(department, ''), supplier_id, currency, kind;
