"""The house rules of the code base, checked: no import circle, a small benchmark/ top level, one home per
concept (the .eval reader, the atomic writer, the device choice, the results folder, the scorer's name,
the error-to-message wrapper), one error base, and no machine paths in committed results."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("benchmark", "scorers", "solvers", "trainers")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _project_module(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    """module -> project modules it imports anywhere (top level or inside a function)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [f"{base}.{alias.name}" for alias in node.names]
            for target in targets:
                module = _project_module(target)
                if module and module != name:
                    edges.add(module)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a list of modules, or None (depth-first search, colours)."""
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in colour and (cycle := visit(nxt)):
                return cycle
        colour[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in colour and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_circle_anywhere():
    assert find_cycle(import_graph()) is None


def test_benchmark_top_level_holds_at_most_eight_modules_and_packages():
    top = [p.name for p in (ROOT / "benchmark").iterdir()
           if (p.suffix == ".py" and p.name != "__init__.py") or (p.is_dir() and not p.name.startswith((".", "_")))]
    assert len(top) <= 8, sorted(top)


def _files_matching(pattern: str) -> set[str]:
    regex = re.compile(pattern)
    return {str(path.relative_to(ROOT)) for path in MODULES.values() if regex.search(path.read_text())}


@pytest.mark.parametrize("pattern, homes", [
    (r"\bread_eval_log\b", {"benchmark/board/logs.py"}),  # the one reader of this task's logs
    (r"\bmkstemp\b|os\.replace\(|\.replace\(path\)", {  # the one atomic file write ...
        "benchmark/board/files.py",
        "benchmark/models/embedded.py",  # ... and two folder-sized swaps: a streamed multi-GB GGUF assembly
        "trainers/checkpoints.py",  # and a whole checkpoint folder renamed into place
    }),
    (r"cuda\.is_available\(", {"benchmark/models/device.py"}),  # the one device choice
    (r"fcntl\.flock", {"benchmark/board/files.py"}),  # the one inter-process lock
    (r"Path\(\"results", {"benchmark/board/files.py"}),  # the one results folder
    (r"\"pairwise_humor_judge\"", {"scorers/scorer.py"}),  # the scorer's name
    (r"humor-bench: error:|sys\.exit\(2\)", {"benchmark/cli.py"}),  # the one error-to-message wrapper
])
def test_one_home_per_concept(pattern, homes):
    assert _files_matching(pattern) == homes


def test_only_the_front_door_imports_the_trainers_commands():
    importers = {name for name, edges in import_graph().items() if "trainers.cli" in edges}
    assert importers == {"benchmark.cli"}


def test_every_project_error_derives_from_the_one_base():
    from benchmark.errors import HumorBenchError

    errors = []
    for name in sorted(MODULES):
        if name.endswith("llama_cpp_engine") and importlib.util.find_spec("llama_cpp") is None:
            continue
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, Exception):
                errors.append(cls)
    assert len(errors) >= 10
    assert [cls for cls in errors if not issubclass(cls, HumorBenchError)] == []


MACHINE_PATH = re.compile(r"(?<![\w.~])/(?:root|home|work|tmp|Users)/")
DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")


def test_committed_results_hold_no_machine_paths():
    from benchmark.board.logs import read_log

    offenders = []
    for path in sorted((ROOT / "results").rglob("*")):
        if path.suffix in {".json", ".jsonl", ".md", ".csv", ".txt", ".html"}:
            text = DATA_URI.sub("", path.read_text(encoding="utf-8", errors="replace"))  # base64 images may hold any run of letters
            if MACHINE_PATH.search(text):
                offenders.append(path)
        elif path.suffix == ".eval" and MACHINE_PATH.search(read_log(path, header_only=True).model_dump_json()):
            offenders.append(path)
    assert offenders == []


def test_every_package_is_listed_for_setuptools():
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {name for name, path in MODULES.items() if path.name == "__init__.py"}
    assert packages <= listed, sorted(packages - listed)
