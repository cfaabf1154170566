-- A large blob gets a table of its own (blob_data.b<id>, shaped like blob_data.template), created by the transaction
-- that writes it. PostgreSQL then loads its rows frozen and, at wal_level=minimal (the embedded cluster), without
-- writing them to the WAL a second time; collecting the blob drops the table. Small blobs stay in blob_chunks.
ALTER TABLE blobs ADD COLUMN own_table boolean NOT NULL DEFAULT false;
CREATE SCHEMA blob_data;
CREATE TABLE blob_data.template (seq integer PRIMARY KEY, data bytea NOT NULL);
ALTER TABLE blob_data.template ALTER COLUMN data SET STORAGE PLAIN;
