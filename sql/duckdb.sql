-- DuckDB's prelude: one view per table of a postsleuth dataset ({dataset}
-- is its folder; sql/run.py fills it in). Hive partitioning is off: every
-- file holds its own host column exactly, the folders only sort the files.
SET TimeZone = 'UTC';
CREATE OR REPLACE MACRO unix_micros(t) AS epoch_us(t);
CREATE OR REPLACE VIEW messages AS
    SELECT * FROM read_parquet('{dataset}/table=messages/*/*/*.parquet', hive_partitioning = false, union_by_name = true);
-- `to` is a reserved word in DuckDB: the recipient is also `recipient`.
CREATE OR REPLACE VIEW deliveries AS
    SELECT *, "to" AS recipient
    FROM read_parquet('{dataset}/table=deliveries/*/*/*.parquet', hive_partitioning = false, union_by_name = true);
CREATE OR REPLACE VIEW auth AS
    SELECT * FROM read_parquet('{dataset}/table=auth/*/*/*.parquet', hive_partitioning = false, union_by_name = true);
CREATE OR REPLACE VIEW rejects AS
    SELECT * FROM read_parquet('{dataset}/table=rejects/*/*/*.parquet', hive_partitioning = false, union_by_name = true);
CREATE OR REPLACE VIEW inputs AS
    SELECT * FROM read_parquet('{dataset}/table=inputs/*/*/*.parquet', hive_partitioning = false, union_by_name = true);
CREATE OR REPLACE VIEW meta AS
    SELECT * FROM read_parquet('{dataset}/table=meta/*/*/*.parquet', hive_partitioning = false, union_by_name = true);
