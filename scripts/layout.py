"""Measures the package layout: files at the top, module sizes, import cycles, upward imports.

    python scripts/layout.py            # figures for bench/embedgate
    python scripts/layout.py --check    # exit 1 when a layout rule is broken (tests run this)
    python scripts/layout.py --root /other/checkout/bench   # another tree (before/after)

Rules (see ../shared/ARCHITECTURE.md): at most 6 files directly in bench/embedgate/, no module
over 400 lines, no import cycle (module- or function-level imports alike), lower floors never
import upper ones, no private name (`_x`) imported across packages.
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "bench"
PACKAGE = "embedgate"
# Floors, lowest first; a module may import its own floor and those below it.
FLOORS = ["infra", "algorithms", "results", "suite", "inputs", "embedders", "encode", "tiers",
          "judge", "history", "interop", "recipes", "retrievers", "labels", "report", "run",
          "benchmarks", "cli"]
MAX_TOP_FILES = 6
MAX_LINES = 400
# Floors that read results only, and the floors each may import.
RESULTS_ONLY = {"report": {"infra", "algorithms", "results", "suite", "judge", "report"},
                "judge": {"infra", "algorithms", "results", "suite", "judge"}}
MODULE_STRING = re.compile(r"^embedgate(\.[a-z_][a-z0-9_]*){2,}(:[A-Za-z_]\w*)?$")
LIBRARY_EXEMPT = ("cli", "benchmarks")  # their parsers must import nothing heavy for --help


@dataclass
class Module:
    name: str
    path: Path
    lines: int
    imports: dict[str, int] = field(default_factory=dict)  # module -> line of first import
    private: list[tuple[str, str, int]] = field(default_factory=list)  # (module, name, line)
    strings: dict[str, int] = field(default_factory=dict)  # module named in a string -> line
    local_imports: int = 0  # imports of own modules inside functions


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(mod: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = mod.name.split(".")
    is_pkg = mod.path.name == "__init__.py"
    base = base if is_pkg else base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def scan(known: set[str], mod: Module) -> None:
    tree = ast.parse(mod.path.read_text(encoding="utf-8"))
    mod.local_imports = _local_own_imports(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and MODULE_STRING.match(node.value):
            mod.strings.setdefault(_closest(node.value.split(":")[0], known), node.lineno)
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == PACKAGE:
                    mod.imports.setdefault(_closest(alias.name, known), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(mod, node)
            if target.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                if sub in known:
                    mod.imports.setdefault(sub, node.lineno)
                else:
                    mod.imports.setdefault(_closest(target, known), node.lineno)
                    if alias.name.startswith("_") and _package(target) != _package(mod.name):
                        mod.private.append((target, alias.name, node.lineno))


def _local_own_imports(tree: ast.Module) -> int:
    count = 0
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in fn.body:
                for sub in ast.walk(node):
                    if isinstance(sub, ast.ImportFrom) and (
                            sub.level or (sub.module or "").split(".")[0] == PACKAGE):
                        count += 1
                    elif isinstance(sub, ast.Import) and any(
                            a.name.split(".")[0] == PACKAGE for a in sub.names):
                        count += 1
    return count


def _closest(name: str, known: set[str]) -> str:
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _package(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


def floor(name: str) -> int:
    """Index of a module's floor; top-level modules sit above every floor."""
    parts = name.split(".")
    if len(parts) > 1 and parts[1] in FLOORS:
        return FLOORS.index(parts[1])
    return len(FLOORS)


def load() -> dict[str, Module]:
    paths = sorted((ROOT / PACKAGE).rglob("*.py"))
    mods = {module_name(p): Module(module_name(p), p, len(p.read_text().splitlines()))
            for p in paths}
    for mod in mods.values():
        scan(set(mods), mod)
        mod.imports.pop(mod.name, None)
        mod.imports.pop(PACKAGE, None)
    return mods


def cycles(mods: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in mods[v].imports:
            if w not in mods or _parent_of(v, w):
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10_000)
    for v in mods:
        if v not in index:
            visit(v)
    return out


def _parent_of(v: str, w: str) -> bool:
    """A package's __init__ naming its own submodules is not a cycle of design."""
    return v.startswith(w + ".")


def upward(mods: dict[str, Module]) -> list[str]:
    rows = []
    for mod in mods.values():
        for target, line in mod.imports.items():
            if target in mods and floor(target) > floor(mod.name):
                rows.append(f"{mod.path.relative_to(ROOT)}:{line}: {mod.name} -> {target}")
    return sorted(rows)


def climbing_strings(mods: dict[str, Module]) -> list[str]:
    """Import strings naming a module above the floor of the module holding them."""
    return sorted(f"{m.path.relative_to(ROOT)}:{line}: {m.name} names \"{target}\""
                  for m in mods.values() for target, line in m.strings.items()
                  if target in mods and floor(target) > floor(m.name))


def results_only(mods: dict[str, Module]) -> list[str]:
    """Imports by the report and judge floors of floors that run models or read data."""
    rows = []
    for mod in mods.values():
        parts = mod.name.split(".")
        allowed = RESULTS_ONLY.get(parts[1]) if len(parts) > 1 else None
        if allowed is None:
            continue
        for target, line in mod.imports.items():
            tparts = target.split(".")
            if len(tparts) > 1 and tparts[1] in FLOORS and tparts[1] not in allowed:
                rows.append(f"{mod.path.relative_to(ROOT)}:{line}: {mod.name} -> {target} "
                            "(reads results only)")
    return sorted(rows)


def report(mods: dict[str, Module]) -> list[str]:
    top = [p.name for p in (ROOT / PACKAGE).iterdir() if p.is_file() and p.suffix == ".py"]
    big = sorted((m for m in mods.values() if m.lines > MAX_LINES), key=lambda m: -m.lines)
    cyc = cycles(mods)
    up = upward(mods)
    private = [f"{m.path.relative_to(ROOT)}:{ln}: {t}.{n}" for m in mods.values()
               for t, n, ln in m.private]
    largest = max(mods.values(), key=lambda m: m.lines)
    print(f"modules: {len(mods)}; files directly in {PACKAGE}/: {len(top)} (max {MAX_TOP_FILES})")
    print(f"largest module: {largest.name} ({largest.lines} lines); over {MAX_LINES}: "
          + (", ".join(f"{m.name} ({m.lines})" for m in big) or "none"))
    print(f"import cycles: {len(cyc)}" + "".join(f"\n  {' <-> '.join(c)}" for c in cyc))
    print(f"upward imports: {len(up)}" + "".join(f"\n  {r}" for r in up))
    print(f"private names across packages: {len(private)}" + "".join(f"\n  {r}" for r in private))
    strings, readers = climbing_strings(mods), results_only(mods)
    print(f"import strings that climb: {len(strings)}" + "".join(f"\n  {r}" for r in strings))
    print(f"report/judge imports beyond results: {len(readers)}"
          + "".join(f"\n  {r}" for r in readers))
    local = sum(m.local_imports for m in mods.values())
    library = sum(m.local_imports for m in mods.values()
                  if m.name.split(".")[1:2] and m.name.split(".")[1] not in LIBRARY_EXEMPT
                  and m.name != f"{PACKAGE}.pytest_plugin")
    print(f"function-local imports of own modules: {local} ({library} in library code, "
          f"outside {', '.join(LIBRARY_EXEMPT)} and the pytest plugin)")
    problems = []
    if len(top) > MAX_TOP_FILES:
        problems.append(f"{len(top)} files directly in {PACKAGE}/")
    problems += [f"{m.name} has {m.lines} lines" for m in big]
    problems += [f"cycle {c}" for c in cyc] + up + private + strings + readers
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 when a rule is broken")
    ap.add_argument("--root", type=Path, help="the folder holding embedgate/ (default: bench/)")
    args = ap.parse_args()
    if args.root is not None:
        global ROOT
        ROOT = args.root.resolve()
    problems = report(load())
    return 1 if args.check and problems else 0


if __name__ == "__main__":
    sys.exit(main())
