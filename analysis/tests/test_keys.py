"""pse_analysis.keys: the key grammar (known answers, the same forms as sim/pse/keys.h) and the
field table read from `pse-sim params --csv` (checked against the binary's own references)."""
from __future__ import annotations

import math
import subprocess
import tomllib

import pytest

from pse_analysis.errors import AnalysisError
from pse_analysis.keys import Key, every_ngo_key, field_name, parameter_table, split_key, toml_location


@pytest.mark.parametrize("key,want", [
    ("trust.gain_rate", Key("scenario", "trust.gain_rate")),
    ("ngo[*].dedicated_fte", Key("ngo_all", "dedicated_fte")),
    ("ngo_defaults.end_week", Key("ngo_defaults", "end_week")),
    ("ngo[12].end_week", Key("ngo_entry", "end_week", 12)),
])
def test_split_key_known_answers(key, want):
    assert split_key(key) == want


@pytest.mark.parametrize("key", ["ngo[x].end_week", "ngo[-1].end_week", "ngo[2]", "ngo[].a"])
def test_split_key_refuses_malformed_entries(key):
    with pytest.raises(AnalysisError, match="expected ngo"):
        split_key(key)


def test_every_ngo_key_and_field_name():
    assert every_ngo_key("ngo_defaults.budget_cv") == "ngo[*].budget_cv"
    assert every_ngo_key("ngo[*].budget_cv") == "ngo[*].budget_cv"
    assert every_ngo_key("trust.gain_rate") == "trust.gain_rate"
    assert field_name("ngo[*].dedicated_fte") == "dedicated_fte"
    assert field_name("pipeline.stage.first_contact.weeks") == "weeks"
    assert split_key("ngo[*].x").sets_every_ngo and split_key("ngo_defaults.x").sets_every_ngo
    assert not split_key("ngo[0].x").sets_every_ngo and split_key("ngo[0].x").is_ngo


def test_toml_location():
    assert toml_location("ngo[*].switching_overhead") == ("ngo_defaults", "switching_overhead")
    assert toml_location("trust.gain_rate") == ("trust", "gain_rate")
    assert toml_location("pipeline.stage.first_contact.weeks") == ("pipeline.stage.first_contact", "weeks")
    with pytest.raises(AnalysisError, match="one \\[\\[ngo\\]\\] entry"):
        toml_location("ngo[1].end_week")


def test_parameter_table_is_the_binary_field_table(pse_sim):
    t = parameter_table(pse_sim)
    # One row per row of the Markdown reference (`pse-sim params`), same keys in the same order.
    md = subprocess.run([str(pse_sim), "params"], capture_output=True, text=True, check=True).stdout
    md_keys = [line.split("`")[1] for line in md.splitlines() if line.startswith("| `")]
    assert [every_ngo_key(k) for k in md_keys] == list(t["key"])
    assert t["key"].is_unique
    # Ranges are numbers for numeric fields only; NGO fields live in [ngo_defaults].
    numeric = t["type"].isin(["real", "integer"])
    assert t.loc[numeric, "min"].map(math.isfinite).all() and (t.loc[numeric, "min"] <= t.loc[numeric, "max"]).all()
    assert t.loc[~numeric, "min"].isna().all()
    assert (t.loc[t["key"].str.startswith("ngo[*]."), "table"] == "ngo_defaults").all()
    fte = t.set_index("key").loc["ngo[*].dedicated_fte"]
    assert (fte["type"], fte["field"], fte["lever"]) == ("real", "dedicated_fte", True)
    # Every (table, field) is where a scenario file holds the key: `pse-sim show` (the resolved
    # scenario as TOML) has each field at that place.
    shown = subprocess.run([str(pse_sim), "show", str(_repo() / "scenarios" / "default.toml")],
                           capture_output=True, text=True, check=True).stdout
    doc = tomllib.loads(shown)
    missing = []
    for row in t.itertuples():
        node = doc
        for part in (row.table.split(".") if row.table else []):
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if not isinstance(node, dict) or row.field not in node:
            missing.append(row.key)
    assert missing == []

def test_parameter_table_reports_a_failing_binary(tmp_path):
    fake = tmp_path / "pse-sim"
    fake.write_text("#!/bin/sh\necho 'no such option' >&2\nexit 2\n")
    fake.chmod(0o755)
    with pytest.raises(AnalysisError, match="params --csv` failed: no such option"):
        parameter_table(fake)
    with pytest.raises(AnalysisError, match="cannot run"):
        parameter_table(tmp_path / "missing")


def _repo():
    from pathlib import Path
    return Path(__file__).resolve().parents[2]
