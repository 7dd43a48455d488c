"""Splink (DuckDB backend) on a synthetic campaign exported by
`tusk bench link-synth DIR --export OUT`: link right.csv (volunteers, contacts, donors) to
left.csv (voters), tutorial-style model, no labels used; best left match per right record.

Usage: python splink_synth.py OUT
Prints one JSON line: seconds (training + prediction), links, precision, recall, f1 — scored
the same way as Tusk's pairs (tusk_pairs.csv), which it also scores.
"""
import csv
import json
import sys
import time

import pandas as pd
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on
from splink.backends.duckdb import DuckDBAPI

out = sys.argv[1]
left = pd.read_csv(f"{out}/left.csv", dtype=str, keep_default_na=False).replace("", None)
right = pd.read_csv(f"{out}/right.csv", dtype=str, keep_default_na=False).replace("", None)
started = time.time()
settings = SettingsCreator(
    link_type="link_only",
    unique_id_column_name="id",
    comparisons=[
        cl.NameComparison("first_name"),
        cl.NameComparison("last_name"),
        cl.ExactMatch("birth_year"),
        cl.LevenshteinAtThresholds("street", [2]),
        cl.ExactMatch("city").configure(term_frequency_adjustments=True),
        cl.ExactMatch("zip"),
        cl.ExactMatch("phone"),
        cl.ExactMatch("email"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("first_name", "last_name"),
        block_on("last_name", "zip"),
        block_on("phone"),
        block_on("email"),
        block_on("street", "zip"),
        block_on("first_name", "city"),
    ],
    retain_intermediate_calculation_columns=False,
)
db_api = DuckDBAPI()
linker = Linker(
    [db_api.register(left, dataset_display_name="voters"), db_api.register(right, dataset_display_name="others")],
    settings,
)
linker.training.estimate_probability_two_random_records_match([block_on("first_name", "last_name", "zip")], recall=0.6)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "last_name"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("zip", "street"))
pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
left_ids = set(left["id"])
pred["l"] = pred.apply(lambda x: x["id_l"] if x["id_l"] in left_ids else x["id_r"], axis=1)
pred["r"] = pred.apply(lambda x: x["id_r"] if x["l"] == x["id_l"] else x["id_l"], axis=1)
best = pred.sort_values("match_probability", ascending=False).drop_duplicates("r")
seconds = time.time() - started
best[["l", "r", "match_probability"]].to_csv(f"{out}/splink_pairs.csv", index=False)

truth = set(tuple(r) for r in list(csv.reader(open(f"{out}/truth_pairs.csv")))[1:])
linkable = {r for _, r in truth}


def score(pairs):
    correct = sum(1 for p in pairs if p in truth)
    precision = correct / max(len(pairs), 1)
    recall = correct / max(len(linkable), 1)
    return {"links": len(pairs), "precision": precision, "recall": recall,
            "f1": 2 * precision * recall / max(precision + recall, 1e-12)}


splink_scores = score(set(zip(best["l"], best["r"])))
splink_scores["seconds"] = round(seconds, 2)
tusk = set(tuple(r[:2]) for r in list(csv.reader(open(f"{out}/tusk_pairs.csv")))[1:])
print(json.dumps({"splink": splink_scores, "tusk": score(tusk)}))
