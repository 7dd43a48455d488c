"""DuckDB peer for the universe benchmark: the same people (CSV written by
`tusk bench universes --export DIR`) in an in-memory DuckDB table, the same filters and counts
as SQL, timed the same way (p50/p99 over RUNS runs, after loading).

    python universes_duckdb.py DIR RUNS
Prints one markdown table row per query.
"""
import sys
import time

import duckdb

d, runs = sys.argv[1], int(sys.argv[2])
con = duckdb.connect()
con.execute("SET threads = 2")
t = time.time()
con.execute(f"CREATE TABLE people AS SELECT * FROM read_csv_auto('{d}/people.csv', header = true)")
load = time.time() - t
QUERIES = [
    ("gotv", "SELECT count(*) FROM people WHERE county IN ('WAKE', 'DURHAM') AND support >= 0.6 "
             "AND turnout BETWEEN 0.3 AND 0.7 AND NOT voted_2026_11_03"),
    ("young unaffiliated", "SELECT count(*) FROM people WHERE party = 'UNA' AND age BETWEEN 18 AND 29"),
    ("persuasion", "SELECT count(*) FROM people WHERE support BETWEEN 0.4 AND 0.6 "
                   "AND persuasion >= 0.08 AND turnout >= 0.5"),
    ("everyone by county", "SELECT county, count(*) FROM people GROUP BY county"),
]
print(f"<!-- DuckDB {duckdb.__version__}: {con.execute('SELECT count(*) FROM people').fetchone()[0]} rows loaded in {load:.1f} s -->")
for name, q in QUERIES:
    times = []
    n = None
    for _ in range(runs):
        t = time.time()
        r = con.execute(q).fetchall()
        times.append((time.time() - t) * 1e3)
        n = r[0][0] if len(r) == 1 else sum(x[1] for x in r)
    times.sort()
    p = lambda f: times[round((len(times) - 1) * f)]
    print(f"| {name} | DuckDB {duckdb.__version__} | {n} | {p(0.5):.1f} | {p(0.99):.1f} |")
