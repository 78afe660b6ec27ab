#!/usr/bin/env bash
# Runs postsleuth's SQL questions (sql/*.sql) on a Parquet dataset with
# Apache Spark in local mode: sql/spark.sh DATASET [--json]
# Needs pyspark (pip install pyspark) and Java 17.
set -euo pipefail
exec "${PYTHON:-python3}" "$(dirname "$0")/run.py" spark "$@"
