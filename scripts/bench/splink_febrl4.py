"""Splink (DuckDB backend) on FEBRL4, tutorial-style model, no labels used.

Usage: python splink_febrl4.py A.csv B.csv TRUTH.csv OUT_PAIRS.csv
Prints one JSON line: seconds (training + prediction), pairs, precision, recall, f1.
Model: splink_febrl_model.py (the same fields as Tusk; soc_sec_id left out on both sides).
"""
import json
import sys
import time

import pandas as pd
from splink.backends.duckdb import DuckDBAPI

from splink_febrl_model import read, trained

a_path, b_path, truth_path, out_path = sys.argv[1:5]
a, b = read(a_path), read(b_path)
started = time.time()
db_api = DuckDBAPI()
linker = trained([db_api.register(a, dataset_display_name="a"), db_api.register(b, dataset_display_name="b")], "link_only")
pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
# Best left match for each right record, as Tusk reports.
l, r = ("rec_id_l", "rec_id_r")
pred["a"] = pred.apply(lambda x: x[l] if str(x["source_dataset_l"]).endswith("0") or "a" in str(x["source_dataset_l"]) else x[r], axis=1)
pred["b"] = pred.apply(lambda x: x[r] if x["a"] == x[l] else x[l], axis=1)
best = pred.sort_values("match_probability", ascending=False).drop_duplicates("b")
seconds = time.time() - started
best[["a", "b", "match_probability"]].to_csv(out_path, index=False)
truth = set(map(tuple, pd.read_csv(truth_path, dtype=str).values.tolist()))
found = set(zip(best["a"], best["b"]))
tp = len(truth & found)
p = tp / max(len(found), 1)
rc = tp / max(len(truth), 1)
print(json.dumps({"seconds": round(seconds, 3), "pairs": len(found), "precision": p, "recall": rc,
                  "f1": 2 * p * rc / max(p + rc, 1e-12)}))
