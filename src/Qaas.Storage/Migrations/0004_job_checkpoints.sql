-- What a job's stages computed that a restarted run can reuse instead of computing again (calibration statistics).
CREATE TABLE job_checkpoints (
    job_id      uuid NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    name        text NOT NULL,
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, name)
);
