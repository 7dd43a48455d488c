"""Splink (DuckDB backend) on FEBRL4, tutorial-style model, no labels used.

Usage: python splink_febrl4.py A.csv B.csv TRUTH.csv OUT_PAIRS.csv
Prints one JSON line: seconds (training + prediction), pairs, precision, recall, f1.
Fields compared: the same as Tusk's (names, date of birth, address, suburb, postcode);
soc_sec_id is left out on both sides.
"""
import json
import sys
import time

import pandas as pd
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI

a_path, b_path, truth_path, out_path = sys.argv[1:5]
cols = ["rec_id", "given_name", "surname", "street_number", "address_1", "suburb", "postcode", "state", "date_of_birth"]
a = pd.read_csv(a_path, dtype=str, keep_default_na=False)[cols].replace("", None)
b = pd.read_csv(b_path, dtype=str, keep_default_na=False)[cols].replace("", None)
started = time.time()
settings = SettingsCreator(
    link_type="link_only",
    unique_id_column_name="rec_id",
    comparisons=[
        cl.NameComparison("given_name"),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
        cl.ExactMatch("street_number"),
        cl.LevenshteinAtThresholds("address_1", [1, 2]),
        cl.ExactMatch("suburb").configure(term_frequency_adjustments=True),
        cl.ExactMatch("postcode"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("given_name", "surname"),
        block_on("surname", "date_of_birth"),
        block_on("given_name", "date_of_birth"),
        block_on("postcode", "street_number"),
        block_on("suburb", "address_1"),
    ],
    retain_intermediate_calculation_columns=False,
)
db_api = DuckDBAPI()
linker = Linker(
    [db_api.register(a, dataset_display_name="a"), db_api.register(b, dataset_display_name="b")], settings
)
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_name", "surname", "date_of_birth")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
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
