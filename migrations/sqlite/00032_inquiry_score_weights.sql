-- +goose Up
-- A tenant's weights of the lead score's factors (issue 16): one row per tenant that
-- set them (none: every weight 1). weights is a JSON object factor → weight. version
-- counts the changes: the one-statement inquiry create checks it against the weights
-- it scored with, and the re-score job of a change skips itself once a later change
-- has its own job.
CREATE TABLE inquiry_score_weights (
    tenant_id  bigint PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    weights    text NOT NULL,
    version    bigint NOT NULL,
    updated_at datetime NOT NULL
);

-- +goose Down
DROP TABLE inquiry_score_weights;
