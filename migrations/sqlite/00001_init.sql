-- +goose Up
CREATE TABLE tenants (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       text NOT NULL,
    created_at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name       text NOT NULL DEFAULT '',
    prefix     text NOT NULL,
    hash       text NOT NULL,
    rate_limit text NOT NULL DEFAULT '',
    created_at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at datetime
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys (hash);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

CREATE TABLE contacts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id      bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    title          text NOT NULL DEFAULT '',
    title2         text NOT NULL DEFAULT '',
    first_name     text NOT NULL DEFAULT '',
    family_name    text NOT NULL DEFAULT '',
    company        text NOT NULL DEFAULT '',
    job_title      text NOT NULL DEFAULT '',
    mail           text NOT NULL DEFAULT '',
    mail_status    integer NOT NULL DEFAULT 0,
    mail2          text NOT NULL DEFAULT '',
    phone_type     text NOT NULL DEFAULT '',
    phone          text NOT NULL DEFAULT '',
    phone2_type    text NOT NULL DEFAULT '',
    phone2         text NOT NULL DEFAULT '',
    fax            text NOT NULL DEFAULT '',
    skype          text NOT NULL DEFAULT '',
    fb             text NOT NULL DEFAULT '',
    twitter        text NOT NULL DEFAULT '',
    ba_street      text NOT NULL DEFAULT '',
    ba_street2     text NOT NULL DEFAULT '',
    ba_city        text NOT NULL DEFAULT '',
    ba_postal_code text NOT NULL DEFAULT '',
    ba_state       text NOT NULL DEFAULT '',
    ba_country     text NOT NULL DEFAULT '',
    date_of_birth  text NOT NULL DEFAULT '',
    uid            bigint NOT NULL DEFAULT 0,
    custom_fields  text NOT NULL DEFAULT '{}',
    mail_key       text NOT NULL DEFAULT '',
    version        bigint NOT NULL DEFAULT 1,
    created_at     datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at     datetime NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX contacts_tenant_mail ON contacts (tenant_id, mail_key);
CREATE INDEX contacts_tenant_id ON contacts (tenant_id, id);

-- Blocking keys: every key of every record merged into a contact, so candidates for
-- duplicate checks come from one indexed lookup.
CREATE TABLE contact_keys (
    tenant_id  bigint NOT NULL,
    key        text NOT NULL,
    contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, key, contact_id)
);
CREATE INDEX contact_keys_contact ON contact_keys (contact_id);

CREATE TABLE terms (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id        bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name             text NOT NULL,
    name_key         text NOT NULL,
    description      text NOT NULL DEFAULT '',
    deletion_blocked boolean NOT NULL DEFAULT 0,
    created_at       datetime NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX terms_tenant_name ON terms (tenant_id, name_key);
CREATE INDEX terms_tenant_id ON terms (tenant_id, id);

CREATE TABLE contact_terms (
    tenant_id  bigint NOT NULL,
    contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    term_id    bigint NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant_id, contact_id, term_id)
);
CREATE INDEX contact_terms_term ON contact_terms (tenant_id, term_id, contact_id);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id  bigint NOT NULL,
    contact_id bigint NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    uid        bigint NOT NULL DEFAULT 0,
    comment    text NOT NULL,
    created_at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at datetime NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX comments_contact ON comments (tenant_id, contact_id, id);

CREATE TABLE custom_fields (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id   bigint NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name        text NOT NULL,
    label       text NOT NULL,
    description text NOT NULL DEFAULT '',
    field_type  text NOT NULL,
    max_length  integer NOT NULL DEFAULT 0,
    multiple    boolean NOT NULL DEFAULT 0,
    options     text NOT NULL DEFAULT '[]',
    required    boolean NOT NULL DEFAULT 0,
    created_at  datetime NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE UNIQUE INDEX custom_fields_tenant_name ON custom_fields (tenant_id, name);

-- +goose Down
DROP TABLE custom_fields;
DROP TABLE comments;
DROP TABLE contact_terms;
DROP TABLE terms;
DROP TABLE contact_keys;
DROP TABLE contacts;
DROP TABLE api_keys;
DROP TABLE tenants;
