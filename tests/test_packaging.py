"""What a non-editable install ships: every subpackage, the scenarios and the data files."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed_in_pyproject():
    # setuptools ships only the packages listed; a subpackage missing there imports from a
    # checkout (editable install, tests) but not from `pip install .`.
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "simtrial").rglob("__init__.py")}
    listed = set(config["packages"]) - set(config["package-dir"])
    assert found == listed
