-- Version 9 (toast): the large text PostgreSQL stores compressed out of line
-- (a visit's JSON, an op's payload: a signature's strokes are 5 KB of them)
-- is compressed with lz4 instead of pglz. A push rewrites the JSON of every
-- visit it touches; with pglz that update took a push of 200 ops about
-- 1.2 ms, with lz4 about 0.6 ms (BENCHMARKS.md, figure 5). A server built
-- without lz4 keeps pglz: the statements are skipped, not failed.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE orders ALTER COLUMN visit SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE ops ALTER COLUMN payload SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'lz4 is not available: large text stays pglz-compressed';
END
$$;
