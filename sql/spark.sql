-- Spark SQL's prelude: one view per table of a postsleuth dataset ({dataset}
-- is its folder; sql/run.py fills it in). recursiveFileLookup turns
-- partition discovery off: every file holds its own host column exactly,
-- the folders only sort the files.
SET spark.sql.session.timeZone = UTC;
CREATE OR REPLACE TEMPORARY VIEW messages
    USING parquet OPTIONS (path '{dataset}/table=messages', recursiveFileLookup 'true');
CREATE OR REPLACE TEMPORARY VIEW deliveries_files
    USING parquet OPTIONS (path '{dataset}/table=deliveries', recursiveFileLookup 'true');
-- As in DuckDB's prelude, the recipient is also `recipient`.
CREATE OR REPLACE TEMPORARY VIEW deliveries AS SELECT *, `to` AS recipient FROM deliveries_files;
CREATE OR REPLACE TEMPORARY VIEW auth
    USING parquet OPTIONS (path '{dataset}/table=auth', recursiveFileLookup 'true');
CREATE OR REPLACE TEMPORARY VIEW rejects
    USING parquet OPTIONS (path '{dataset}/table=rejects', recursiveFileLookup 'true');
CREATE OR REPLACE TEMPORARY VIEW inputs
    USING parquet OPTIONS (path '{dataset}/table=inputs', recursiveFileLookup 'true');
CREATE OR REPLACE TEMPORARY VIEW meta
    USING parquet OPTIONS (path '{dataset}/table=meta', recursiveFileLookup 'true');
