-- QaaS metadata, blob store and job tables. Quartz provisions its own qrtz_* tables.
CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_keys (
    id          uuid PRIMARY KEY,
    tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        text NOT NULL,
    prefix      text NOT NULL,
    key_hash    bytea NOT NULL UNIQUE,
    role        text NOT NULL CHECK (role IN ('admin', 'member')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz NULL
);

-- Content-addressed blobs: sha256 is NULL while an upload is still being written (staging).
CREATE TABLE blobs (
    id          bigserial PRIMARY KEY,
    sha256      text NULL UNIQUE,
    size_bytes  bigint NOT NULL DEFAULT 0,
    chunk_size  integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE blob_chunks (
    blob_id     bigint NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
    seq         integer NOT NULL,
    data        bytea NOT NULL,
    PRIMARY KEY (blob_id, seq)
);
-- Dense weights do not compress; skip TOAST compression (still stored out of line).
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE models (
    id               uuid PRIMARY KEY,
    tenant_id        uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name             text NOT NULL,
    blob_sha256      text NOT NULL,
    size_bytes       bigint NOT NULL,
    description      jsonb NOT NULL,
    parent_model_id  uuid NULL,
    job_id           uuid NULL,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX models_tenant_created ON models (tenant_id, created_at DESC, id DESC);

-- Files of a model with external data (the .onnx itself included), name -> blob.
CREATE TABLE model_files (
    model_id     uuid NOT NULL REFERENCES models(id) ON DELETE CASCADE,
    file_name    text NOT NULL,
    blob_sha256  text NOT NULL,
    size_bytes   bigint NOT NULL,
    PRIMARY KEY (model_id, file_name)
);

CREATE TABLE datasets (
    id           uuid PRIMARY KEY,
    tenant_id    uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         text NOT NULL,
    blob_sha256  text NOT NULL,
    size_bytes   bigint NOT NULL,
    format       text NOT NULL,
    samples      integer NOT NULL,
    arrays       jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX datasets_tenant_created ON datasets (tenant_id, created_at DESC, id DESC);

CREATE TABLE jobs (
    id                      uuid PRIMARY KEY,
    tenant_id               uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    model_id                uuid NOT NULL,
    recipe                  jsonb NOT NULL,
    preset                  text NULL,
    calibration_dataset_id  uuid NULL,
    evaluation_dataset_id   uuid NULL,
    input_shapes            jsonb NULL,
    status                  text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    stage                   text NULL,
    progress                double precision NOT NULL DEFAULT 0,
    pool                    text NOT NULL,
    priority                integer NOT NULL DEFAULT 0,
    idempotency_key         text NULL,
    request_hash            text NULL,
    error                   jsonb NULL,
    metrics                 jsonb NULL,
    webhook_url             text NULL,
    cancel_requested        boolean NOT NULL DEFAULT false,
    attempts                integer NOT NULL DEFAULT 0,
    created_at              timestamptz NOT NULL DEFAULT now(),
    started_at              timestamptz NULL,
    finished_at             timestamptz NULL,
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tenant_id, idempotency_key)
);
CREATE INDEX jobs_tenant_created ON jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX jobs_model_active ON jobs (model_id) WHERE status IN ('queued', 'running');

CREATE TABLE job_events (
    id          bigserial PRIMARY KEY,
    job_id      uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    type        text NOT NULL CHECK (type IN ('progress', 'log', 'status')),
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX job_events_job ON job_events (job_id, id);

CREATE TABLE artifacts (
    job_id        uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    name          text NOT NULL,
    blob_sha256   text NOT NULL,
    size_bytes    bigint NOT NULL,
    content_type  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, name)
);

-- Numeric job metrics, one row per name, for queries across jobs (the summary also lives in jobs.metrics).
CREATE TABLE job_metrics (
    job_id  uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    name    text NOT NULL,
    value   double precision NOT NULL,
    PRIMARY KEY (job_id, name)
);
