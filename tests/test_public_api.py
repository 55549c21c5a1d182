"""The public API: lazy at run time, typed for a type checker, light where it must be."""

import ast
import subprocess
import sys
import tomllib
from importlib import import_module
from pathlib import Path

import pytest

import simtrial

ROOT = Path(__file__).resolve().parents[1]


def _type_checking_imports() -> dict[str, str]:
    """Name -> module of the imports in simtrial/__init__.py's ``if TYPE_CHECKING:`` block."""
    tree = ast.parse((ROOT / "simtrial" / "__init__.py").read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
    return {alias.asname or alias.name: node.module for node in block.body
            if isinstance(node, ast.ImportFrom) for alias in node.names}


def test_type_checking_block_names_what_getattr_imports():
    # A name the lazy __getattr__ serves but the TYPE_CHECKING block lacks is Any to mypy.
    assert _type_checking_imports() == simtrial._API
    assert set(simtrial.__all__) == {"__version__", *simtrial._API}


@pytest.mark.parametrize("name", sorted(simtrial._API))
def test_lazy_names_are_the_defining_modules_objects(name):
    assert getattr(simtrial, name) is getattr(import_module(simtrial._API[name]), name)


@pytest.mark.parametrize("module", ["simtrial", "simtrial.scenario"])
def test_import_loads_neither_numpy_scipy_nor_numba(module):
    # Reading a scenario (and `simtrial --version`) must not pay for the numeric stack.
    code = (f"import sys, {module}; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'scipy', 'numba'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_py_typed_ships_with_the_package():
    assert (ROOT / "simtrial" / "py.typed").is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"]
    assert "py.typed" in package_data["simtrial"]
