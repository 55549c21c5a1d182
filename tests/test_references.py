"""Tests for simtrial.references and the citations of the built-in scenario.

The scenario cites publications by key ("Yuan 2025"); every key must resolve to a full entry
in simtrial/references.toml, and nothing the scenario prints may point outside the repository
(the internal evidence codes E1-E14 or EVIDENCE.md of the planning notes).
"""

import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from simtrial import evidence
from simtrial.references import KEY_PATTERN, Reference, cited_keys, reference, references
from simtrial.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO_FILE = ROOT / "scenarios" / "msc-covid19.toml"
INTERNAL = re.compile(r"\bE(?:1[0-4]|[1-9])\b|EVIDENCE\.md|shared/")


def _strings(data):
    """Every string in parsed TOML data, depth first."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def _scenario_outputs() -> list[str]:
    """What the scenario can print: its strings and the derivations recomputed from it."""
    sc = load_scenario("msc-covid19")
    out = list(_strings(tomllib.loads(SCENARIO_FILE.read_text(encoding="utf-8"))))
    for prov in sc.provenance.values():
        out += [prov.source, prov.quote, prov.reason, prov.note]
        if prov.derivation is not None:
            d = evidence.derive(**dict(prov.derivation))
            out += [d.explanation, d.reference]
    return out


# --- the built-in scenario's citations ----------------------------------------------------------


def test_every_key_the_scenario_cites_is_in_the_references_file():
    text = SCENARIO_FILE.read_text(encoding="utf-8")  # comments included
    keys = cited_keys(text)
    assert {"Shi 2021a", "Li 2023", "Yuan 2025", "Hays 1993", "Higgins 2023"} <= set(keys)
    assert [k for k in keys if k not in references()] == []


def test_no_scenario_output_points_outside_the_repository():
    outputs = _scenario_outputs()
    assert len(outputs) > 50
    assert [s for s in outputs if INTERNAL.search(s)] == []
    assert not INTERNAL.search(SCENARIO_FILE.read_text(encoding="utf-8"))


def test_reported_and_derived_numbers_cite_a_reference():
    sc = load_scenario("msc-covid19")
    for key, prov in sc.provenance.items():
        if prov.basis in ("reported", "derived"):
            assert any(k in references() for k in cited_keys(prov.source)), key


def test_sf36_scoring_is_attributed_to_the_rand_rules():
    sc = load_scenario("msc-covid19")
    for end in ("min", "max"):
        prov = sc.provenance[f"endpoints.sf36_gh.scale.{end}"]
        assert cited_keys(prov.source) == ["Hays 1993"]
    assert reference("Hays 1993").title == "The RAND 36-Item Health Survey 1.0"


# --- the references file ------------------------------------------------------------------------


def test_references_ship_as_package_data():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "references.toml" in pyproject["tool"]["setuptools"]["package-data"]["simtrial"]
    assert resources.files("simtrial").joinpath("references.toml").is_file()


@pytest.mark.parametrize("key", list(references()))
def test_entry_is_complete_and_well_formed(key):
    ref = references()[key]
    assert isinstance(ref, Reference) and ref.key == key
    assert KEY_PATTERN.fullmatch(key)
    assert ref.used_for, "say where simtrial uses it"
    citation = ref.citation()
    assert ref.title in citation and str(ref.year) in citation and "\n" not in citation
    if ref.authors:
        assert key.split()[0] in ref.authors[0] or ref.type == "guideline"
    assert str(ref.year) == re.sub(r"[a-z]$", "", key.split()[1])
    if ref.doi:
        assert re.fullmatch(r"10\.\d{4,}/\S+", ref.doi)
    if ref.pmid:
        assert ref.pmid.isdigit()
    if ref.type == "article" and not ref.unverified:
        assert ref.journal and ref.volume and (ref.pages or ref.article), key
    if ref.unverified:
        assert "Not verified" in citation


def test_trial_publications_have_their_identifiers():
    # Identifiers checked against the publications' abstract pages or an index.
    assert reference("Shi 2021a").pmid == "33568628"
    assert reference("Shi 2021a").doi == "10.1038/s41392-021-00488-5"
    assert reference("Shi 2020").doi == "10.1101/2020.10.15.20213553"
    assert reference("Shi 2021b").doi == "10.1016/j.ebiom.2021.103789"
    assert reference("Yuan 2025").pmid == "40001244"


def test_two_year_follow_up_says_what_could_not_be_traced():
    ref = reference("Li 2023")
    assert len(ref.untraced) == 4
    assert any("marginally" in item for item in ref.untraced)
    assert ref.unverified and not ref.journal and not ref.doi and not ref.authors
    assert "Not verified" in ref.citation()


def test_methods_simtrial_names_are_in_the_file():
    methods = {"Wilson 1927", "Holm 1979", "Hochberg 1988", "Sarkar 1998", "Maurer 1995",
               "Westfall 2001", "Morris 2019", "Cohen 1988", "Champely 2020", "Fisher 1935",
               "Mann 1947", "Lehmann 1975", "Higgins 2023", "Welch 1947", "Student 1908"}
    assert methods <= set(references())


def test_unknown_key_lists_the_known_ones():
    with pytest.raises(KeyError, match="no reference 'Shi 2022'.*Shi 2021a"):
        reference("Shi 2022")


@pytest.mark.parametrize(("text", "keys"), [
    ("Shi 2021a (phase 2), abstract; Shi 2020 (its preprint)", ["Shi 2021a", "Shi 2020"]),
    ("two-sided 5% level (ICH 1998)", ["ICH 1998"]),
    ("Lippman-Hand 1983 and O'Brien 1979", ["Lippman-Hand 1983", "O'Brien 1979"]),
    ("SF-36 general health at month 18, COVID-19, NCT04288102, 65 MSC and 35 placebo", []),
    ("the 2-year follow-up (2023), 2:1, 4 x 10^7 cells, p = 0.075", []),
])
def test_cited_keys_finds_author_year_citations_only(text, keys):
    assert cited_keys(text) == keys
