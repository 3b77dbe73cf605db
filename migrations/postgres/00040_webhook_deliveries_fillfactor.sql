-- +goose Up
-- Migration 00039 left 30 % of a new page free so an attempt's rewrite of a delivery
-- stays on its page (a HOT update, no index touched); a bench (BENCHMARKS.md,
-- "Webhooks") counted only half the rewrites HOT: a page filled to 70 % with rows of
-- a kilobyte and more has room to rewrite fewer than half of them. At 50 % every row
-- of a page can be rewritten once beside itself.
ALTER TABLE webhook_deliveries SET (fillfactor = 50);

-- +goose Down
ALTER TABLE webhook_deliveries SET (fillfactor = 70);
