"""Test-suite habits: shared helpers live in tests/support, and every marker is registered."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILTIN_MARKERS = {"parametrize", "skip", "skipif", "xfail", "usefixtures", "filterwarnings"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every absolute module a file imports, with its line ("from a import b" gives a and a.b)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def test_support_imports_only_from_tests_support():
    """Benchmarks and the helpers themselves never import a test module or a conftest."""
    files = [*sorted((ROOT / "benchmarks").glob("*.py")),
             *sorted((ROOT / "tests" / "support").glob("*.py"))]
    assert any(f.parent.name == "benchmarks" for f in files)
    bad = []
    for path in files:
        for line, module in imported_modules(path):
            parts = module.split(".")
            if parts[0] != "tests" or len(parts) == 1:
                continue  # "from tests import support" is checked as tests.support
            if parts[1] != "support" or any(p.startswith(("test_", "conftest")) for p in parts):
                bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert not bad, "import shared helpers from tests.support instead:\n" + "\n".join(bad)


def registered_markers() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    ini = config["tool"]["pytest"]["ini_options"]
    assert "--strict-markers" in ini["addopts"].split()
    assert "-m" not in ini["addopts"].split(), "slow tests run by default; select with -m"
    return {line.split(":", 1)[0].strip() for line in ini["markers"]}


def test_every_marker_used_in_the_tests_is_registered():
    registered = registered_markers()
    assert {"models", "gpu", "slow"} <= registered
    used: dict[str, str] = {}
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for name in re.findall(r"\bmark\.([A-Za-z_]\w*)", path.read_text(encoding="utf-8")):
            used.setdefault(name, str(path.relative_to(ROOT)))
    unknown = {name: where for name, where in used.items()
               if name not in registered | BUILTIN_MARKERS}
    assert not unknown, f"markers missing from [tool.pytest.ini_options] markers: {unknown}"
