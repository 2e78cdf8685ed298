"""The house rules that import contracts can't see (docs/architecture.md): no module uses
another module's private (underscore) names, no import hides inside a function to dodge
a cycle, the credits app keeps its top level small and free of prefix-named modules, and
the code cites only documents that are in the repository."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Django's public model API, underscore and all.
DJANGO_PUBLIC = {"_meta", "_default_manager", "_base_manager"}
PACKAGES = ("accounts", "credits", "config")
CODE_DIRS = (*PACKAGES, "templates", "static/console", "tests", "docs", ".ci")


def _python_files(*packages: str):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _project_import(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in PACKAGES


def test_no_module_imports_another_modules_private_names():
    offenders = []
    for path in _python_files(*PACKAGES):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases: dict[str, str] = {}  # local name -> imported project module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and _project_import(node.module):
                for alias in node.names:
                    if alias.name.startswith("_"):
                        offenders.append(f"{path.relative_to(ROOT)}: imports {alias.name}")
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if _project_import(alias.name):
                        aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in DJANGO_PUBLIC
            ):
                offenders.append(
                    f"{path.relative_to(ROOT)}:{node.lineno}: uses {node.value.id}.{node.attr}"
                )
    assert offenders == []


def _function_imports(tree: ast.AST):
    """Imports inside function bodies, except those under ``if TYPE_CHECKING:``."""
    for func in ast.walk(tree):
        if not isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(func):
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield node


def test_no_project_import_hides_inside_a_function():
    """An import inside a function is how a cycle gets dodged; the arrows of
    docs/architecture.md make them unnecessary. The app registries' ``ready()`` and the
    benchmarks' child processes are the exceptions."""
    allowed = {"credits/apps.py", "credits/bench/pages_export.py"}
    offenders = []
    for path in _python_files(*PACKAGES):
        relative = str(path.relative_to(ROOT))
        if relative in allowed:
            continue
        for node in _function_imports(ast.parse(path.read_text(encoding="utf-8"))):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if _project_import(module):
                offenders.append(f"{relative}:{node.lineno}: imports {module}")
    assert offenders == []


def test_the_credits_app_is_capability_packages_not_prefixed_modules():
    top = sorted(p.name for p in (ROOT / "credits").glob("*.py"))
    assert len(top) <= 10, top
    prefixed = [name for name in top if re.match(r"(views|selectors|forms|services|demo)_", name)]
    assert prefixed == []
    for capability in ("ledger", "billing", "usage", "reports", "notifications", "demo"):
        assert (ROOT / "credits" / capability / "__init__.py").exists(), capability


@pytest.mark.parametrize(
    "pattern",
    [
        re.compile(r"DESIGN(\.md)?\s*§"),
        re.compile(r"\bDESIGN\.md\b"),
        re.compile(r"\b[Ii]ssues?\s+#?\d+\b"),
    ],
    ids=["design-section", "design-file", "issue-number"],
)
def test_code_and_docs_cite_only_documents_in_the_repository(pattern):
    offenders = []
    this_file = Path(__file__).resolve()
    for directory in CODE_DIRS:
        for path in sorted((ROOT / directory).rglob("*")):
            if not path.is_file() or path.resolve() == this_file:
                continue
            if path.suffix not in {".py", ".html", ".txt", ".js", ".css", ".md", ""}:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for number, line in enumerate(text.splitlines(), 1):
                if pattern.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}")
    for name in ("README.md", "Makefile", "pyproject.toml"):
        for number, line in enumerate((ROOT / name).read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{name}:{number}: {line.strip()[:80]}")
    assert offenders == []
