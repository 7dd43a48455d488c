"""The tutorial-style Splink model both FEBRL scripts use (no labels): comparisons on names,
date of birth, address, suburb (term frequencies) and postcode; five blocking rules; prior at
recall 0.7, u by random sampling, m by EM on two blocking rules. soc_sec_id is left out, as
for Tusk."""
import pandas as pd
import splink.comparison_library as cl
from splink import Linker, SettingsCreator, block_on

COLUMNS = ["rec_id", "given_name", "surname", "street_number", "address_1", "suburb", "postcode", "state", "date_of_birth"]


def read(path):
    return pd.read_csv(path, dtype=str, keep_default_na=False)[COLUMNS].replace("", None)


def trained(tables, link_type):
    """A Linker over registered `tables` ("link_only" or "dedupe_only"), trained."""
    settings = SettingsCreator(
        link_type=link_type,
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
    linker = Linker(tables, settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("given_name", "surname", "date_of_birth")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    return linker
