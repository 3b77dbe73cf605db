-- +goose Up
-- Inquiries (leads) with their per-tenant statuses, sources and staff (see the
-- PostgreSQL migration of the same number). Text search scans: SQLite has no trigram
-- index.
CREATE TABLE inquiry_statuses (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       text NOT NULL,
    name_key   text NOT NULL,
    kind       text NOT NULL DEFAULT 'open',
    position   integer NOT NULL DEFAULT 0,
    created_at datetime NOT NULL,
    updated_at datetime NOT NULL
);
CREATE UNIQUE INDEX inquiry_statuses_tenant_name ON inquiry_statuses (tenant_id, name_key);

CREATE TABLE inquiry_sources (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       text NOT NULL,
    name_key   text NOT NULL,
    position   integer NOT NULL DEFAULT 0,
    created_at datetime NOT NULL,
    updated_at datetime NOT NULL
);
CREATE UNIQUE INDEX inquiry_sources_tenant_name ON inquiry_sources (tenant_id, name_key);

CREATE TABLE staff (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email      text NOT NULL,
    email_key  text NOT NULL,
    name       text NOT NULL DEFAULT '',
    created_at datetime NOT NULL,
    updated_at datetime NOT NULL
);
CREATE UNIQUE INDEX staff_tenant_email ON staff (tenant_id, email_key);

CREATE TABLE inquiries (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id            bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    title                text NOT NULL,
    contact_first_name   text NOT NULL DEFAULT '',
    contact_family_name  text NOT NULL DEFAULT '',
    contact_email        text NOT NULL DEFAULT '',
    contact_phone        text NOT NULL DEFAULT '',
    customer_id          bigint REFERENCES contacts (id) ON DELETE SET NULL,
    customer_matched     boolean NOT NULL DEFAULT false,
    customer_explanation text NOT NULL DEFAULT '',
    street               text NOT NULL DEFAULT '',
    postal_code          text NOT NULL DEFAULT '',
    city                 text NOT NULL DEFAULT '',
    country              text NOT NULL DEFAULT '',
    status_id            bigint NOT NULL REFERENCES inquiry_statuses (id),
    source_id            bigint NOT NULL REFERENCES inquiry_sources (id),
    expected_value       bigint,
    expected_currency    text NOT NULL DEFAULT '',
    probability          integer,
    urgency              text NOT NULL DEFAULT 'normal',
    assignee_id          bigint REFERENCES staff (id),
    follow_up_on         text,
    expected_close_on    text,
    desired_start_on     text,
    category             text NOT NULL DEFAULT '',
    budget_min           bigint,
    budget_max           bigint,
    budget_currency      text NOT NULL DEFAULT '',
    notes                text NOT NULL DEFAULT '',
    lead_score           integer NOT NULL DEFAULT 0,
    lead_band            text NOT NULL DEFAULT '',
    lead_factors         text NOT NULL DEFAULT '[]',
    rescore_at           datetime,
    version              bigint NOT NULL DEFAULT 1,
    touched_at           datetime NOT NULL,
    created_at           datetime NOT NULL,
    updated_at           datetime NOT NULL
);
CREATE INDEX inquiries_tenant_score ON inquiries (tenant_id, lead_score, id);
CREATE INDEX inquiries_tenant_created ON inquiries (tenant_id, created_at, id);
CREATE INDEX inquiries_tenant_follow_up ON inquiries (tenant_id, coalesce(follow_up_on, '9999-12-31'), id);
CREATE INDEX inquiries_status_score ON inquiries (status_id, lead_score, id);
CREATE INDEX inquiries_status_created ON inquiries (status_id, created_at, id);
CREATE INDEX inquiries_source ON inquiries (source_id, id);
CREATE INDEX inquiries_assignee ON inquiries (assignee_id, id) WHERE assignee_id IS NOT NULL;
CREATE INDEX inquiries_customer ON inquiries (customer_id, id) WHERE customer_id IS NOT NULL;
CREATE INDEX inquiries_rescore ON inquiries (rescore_at) WHERE rescore_at IS NOT NULL;

CREATE TABLE inquiry_terms (
    tenant_id  bigint NOT NULL,
    inquiry_id bigint NOT NULL,
    term_id    bigint NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, inquiry_id, term_id)
);
CREATE INDEX inquiry_terms_term ON inquiry_terms (term_id, inquiry_id);

-- +goose Down
DROP TABLE inquiry_terms;
DROP TABLE inquiries;
DROP TABLE staff;
DROP TABLE inquiry_sources;
DROP TABLE inquiry_statuses;
