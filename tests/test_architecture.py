"""The floor plan holds: dependencies run one way and no module imports itself through others.

The contracts live in pyproject.toml ([tool.importlinter]); import-linter reads every import in
the package, function-level ones included, so a lazy import cannot hide a circle.
"""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert lint_imports(config_filename="pyproject.toml", no_cache=True) == 0


def test_every_subpackage_says_what_it_may_import():
    for init in sorted((ROOT / "abm").glob("*/__init__.py")):
        assert "May import" in init.read_text(), f"{init} does not state its dependencies"
