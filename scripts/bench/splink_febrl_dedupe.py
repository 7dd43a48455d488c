"""Splink (DuckDB backend) deduplicating one FEBRL file (febrl1-3), tutorial-style model, no
labels used; clusters at match probability 0.5, scored as pairs of records in one cluster.

Usage: python splink_febrl_dedupe.py FILE.csv TRUTH.csv
Prints one JSON line: seconds (training + prediction + clustering), pairs, precision, recall, f1.
Model: splink_febrl_model.py (the same as splink_febrl4.py).
"""
import itertools
import json
import sys
import time

import pandas as pd
from splink.backends.duckdb import DuckDBAPI

from splink_febrl_model import read, trained

path, truth_path = sys.argv[1:3]
df = read(path)
started = time.time()
db_api = DuckDBAPI()
linker = trained(db_api.register(df, dataset_display_name="f"), "dedupe_only")
pred = linker.inference.predict(threshold_match_probability=0.5)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    pred, threshold_match_probability=0.5
).as_pandas_dataframe()
seconds = time.time() - started
members = clusters.groupby("cluster_id")["rec_id"].apply(list)
found = set(p for m in members for p in itertools.combinations(sorted(m), 2))
truth = set(tuple(sorted(r)) for r in pd.read_csv(truth_path, dtype=str).values.tolist())
tp = len(truth & found)
p = tp / max(len(found), 1)
rc = tp / max(len(truth), 1)
print(json.dumps({"seconds": round(seconds, 3), "pairs": len(found), "precision": p, "recall": rc,
                  "f1": 2 * p * rc / max(p + rc, 1e-12)}))
