"""Splink (DuckDB backend) deduplicating one FEBRL file (febrl1-3), tutorial-style model, no
labels used; clusters at match probability 0.5, scored as pairs of records in one cluster.

Usage: python splink_febrl_dedupe.py FILE.csv TRUTH.csv
Prints one JSON line: seconds (training + prediction + clustering), pairs, precision, recall, f1.
Fields compared: as in splink_febrl4.py (soc_sec_id left out, as for Tusk).
"""
import itertools
import json
import sys
import time

import pandas as pd
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI

path, truth_path = sys.argv[1:3]
cols = ["rec_id", "given_name", "surname", "street_number", "address_1", "suburb", "postcode", "state", "date_of_birth"]
df = pd.read_csv(path, dtype=str, keep_default_na=False)[cols].replace("", None)
started = time.time()
settings = SettingsCreator(
    link_type="dedupe_only",
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
linker = Linker(db_api.register(df, dataset_display_name="f"), settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_name", "surname", "date_of_birth")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
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
