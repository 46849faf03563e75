"""The layer rules of DESIGN.md, the package list, lint and types: checked on every run."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    result = subprocess.run(
        [sys.executable, "-c",
         "import sys; from importlinter.cli import lint_imports; "
         "sys.exit(lint_imports(no_cache=True, no_logo=True))"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_package_ships():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "albumstudio").rglob("__init__.py")
    } | {"albumstudio.resources"}
    assert found == listed


def test_ruff_is_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "albumstudio", "tests",
                             "benchmarks", "tools"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean():
    # pyproject.toml's [tool.mypy]: strict for core, services, engines and jobs, the defaults
    # elsewhere; the cache (.mypy_cache) makes a repeat run take seconds instead of a minute
    result = subprocess.run([sys.executable, "-m", "mypy"],
                            cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def test_resources_are_importable_as_package_data():
    from albumstudio.app import app_icon_path

    icon = app_icon_path()
    assert icon is not None and Path(icon).read_text().startswith("<svg")


def test_desktop_entry_names_the_command_and_icon():
    entry = (ROOT / "packaging" / "albumstudio.desktop").read_text()
    assert "Exec=albumstudio" in entry and "Icon=albumstudio" in entry
    assert (ROOT / "resources" / "icons" / "albumstudio.svg").is_file()
