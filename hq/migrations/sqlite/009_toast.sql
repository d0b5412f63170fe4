-- Version 9 (toast): PostgreSQL's large text compressed with lz4 instead of
-- pglz. SQLite stores text as it is: nothing changes here, the step keeps
-- both databases at the same version.
SELECT 1;
