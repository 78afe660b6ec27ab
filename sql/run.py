#!/usr/bin/env python3
"""Runs postsleuth's SQL questions on a Parquet dataset with DuckDB or Spark.

    python3 sql/run.py duckdb DATASET [--json] [--rows N]
    python3 sql/run.py spark DATASET [--json] [--rows N]

The engine's prelude (sql/duckdb.sql or sql/spark.sql) makes one view per
table; the queries (the other sql/*.sql) are the same for both engines.
Prints each query's rows as a table (times in UTC, at most N rows each with
--rows), or with --json one object: query name → list of rows (times in
microseconds since the epoch).
"""

import datetime
import decimal
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
QUERIES = ["top_accounts", "top_ips", "countries", "brute_force", "compromise"]


def statements(text):
    """The statements of a script: `;` ends one at the end of a line."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip().rstrip(";")]


def plain(value):
    """Spark reads Parquet's unsigned 64-bit integers as decimals."""
    if isinstance(value, decimal.Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def duckdb_runner():
    import duckdb

    con = duckdb.connect()

    def run(sql):
        cur = con.execute(sql)
        if cur.description is None:
            return []
        names = [d[0] for d in cur.description]
        return [dict(zip(names, map(plain, row))) for row in cur.fetchall()]

    return run, con.close


def spark_runner():
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("postsleuth-sql")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")

    def run(sql):
        return [{k: plain(v) for k, v in row.asDict().items()} for row in spark.sql(sql).collect()]

    return run, spark.stop


def shown(column, value):
    """`first_us` and its microseconds as `first` and a UTC time."""
    if column.endswith("_us") and isinstance(value, int):
        t = datetime.datetime.fromtimestamp(value / 1e6, datetime.timezone.utc)
        return column[:-3], t.strftime("%Y-%m-%dT%H:%M:%SZ")
    return column, str(value)


def table(name, rows, limit):
    if not rows:
        return f"{name}: no rows\n"
    cols = [c[:-3] if c.endswith("_us") else c for c in rows[0]]
    cells = [[shown(c, v)[1] for c, v in r.items()] for r in rows[:limit]]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    out = [f"{name}:", fmt.format(*cols).rstrip()] + [fmt.format(*row).rstrip() for row in cells]
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) < 3 or argv[1] not in ("duckdb", "spark"):
        sys.exit(__doc__)
    engine, dataset = argv[1], str(pathlib.Path(argv[2]).resolve())
    run, stop = duckdb_runner() if engine == "duckdb" else spark_runner()
    prelude = (HERE / f"{engine}.sql").read_text().replace("{dataset}", dataset.replace("'", "''"))
    for s in statements(prelude):
        run(s)
    answers = {q: run(statements((HERE / f"{q}.sql").read_text())[0]) for q in QUERIES}
    stop()
    if "--json" in argv:
        print(json.dumps(answers, indent=1))
    else:
        limit = int(argv[argv.index("--rows") + 1]) if "--rows" in argv else None
        print("\n".join(table(q, rows, limit) for q, rows in answers.items()), end="")


if __name__ == "__main__":
    main(sys.argv)
