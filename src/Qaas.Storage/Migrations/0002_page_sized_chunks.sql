-- New blobs are written as rows of at most one heap page (8,096 bytes of data), stored inline: no TOAST slicing into
-- 2 KB pieces with their own index, no compression of dense weights. Older blobs keep their chunk size (blobs.chunk_size).
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE PLAIN;
