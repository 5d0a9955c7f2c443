"""Import structure: what the light entry points load, and an mbsim import graph without cycles."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

import mbsim

PACKAGE = Path(mbsim.__file__).parent
ROOT = PACKAGE.parent
HEAVY = ("brian2", "pandas")


def loaded_heavy_modules(code: str) -> list[str]:
    """Run ``code`` in a fresh interpreter and return the heavy modules it left in sys.modules."""
    script = f"{code}\nimport sys\nprint('heavy:', *(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    return done.stdout.splitlines()[-1].split()[1:]


def test_protocols_load_and_schedule_without_the_network():
    code = "import mbsim.protocol\nmbsim.protocol.load_protocol('aversive_1x').schedule()"
    assert loaded_heavy_modules(code) == []


def test_validate_command_loads_neither_brian2_nor_pandas():
    code = ("from mbsim.cli import main\n"
            "try:\n"
            "    code = main(['validate', 'protocols/aversive_1x.yaml'])\n"
            "except SystemExit as exit:\n"
            "    code = exit.code\n"
            "assert code == 0, code")
    assert loaded_heavy_modules(code) == []


# --- the import graph -----------------------------------------------------------------------
def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports(tree: ast.AST):
    """Import statements anywhere (module level and inside functions), except type-only ones
    under ``if TYPE_CHECKING:``, which never run."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and is_type_checking(node):
            yield from (item for child in node.orelse for item in imports_of(child))
            continue
        yield from imports_of(node)


def imports_of(node: ast.AST):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    else:
        yield from imports(node)


def parse_modules() -> dict[str, tuple[Path, ast.Module]]:
    return {module_name(path): (path, ast.parse(path.read_text(), str(path)))
            for path in sorted(PACKAGE.rglob("*.py"))}


def base_of(node: ast.ImportFrom, name: str, path: Path) -> str:
    """Absolute module named by ``from <base> import ...`` in module ``name``."""
    if node.level == 0:
        return node.module
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    package = package[:len(package) - (node.level - 1)]
    return ".".join(package + ([node.module] if node.module else []))


def reexports(modules) -> dict[str, dict[str, str]]:
    """package -> {name: module it comes from} for the ``from .x import name`` of its __init__."""
    table: dict[str, dict[str, str]] = {}
    for name, (path, tree) in modules.items():
        if path.name != "__init__.py":
            continue
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level:
                base = base_of(node, name, path)
                for alias in node.names:
                    table.setdefault(name, {})[alias.asname or alias.name] = (
                        f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return table


def resolve(module: str, attribute: str, modules, exported) -> str:
    """The module that defines ``attribute`` of ``module``: a submodule, the submodule a package
    re-exports it from, or the module itself."""
    if f"{module}.{attribute}" in modules:
        return f"{module}.{attribute}"
    source = exported.get(module, {}).get(attribute)
    if source is None or source == module:
        return module
    return resolve(source, attribute, modules, exported) if source in exported else source


def targets(node, name: str, path: Path, modules, exported):
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = base_of(node, name, path)
    yield from (resolve(base, alias.name, modules, exported) for alias in node.names)


def import_graph() -> tuple[nx.DiGraph, dict[str, set[str]]]:
    """Edges between mbsim modules, and every module's imports (inside mbsim or not)."""
    modules = parse_modules()
    exported = reexports(modules)
    graph, imported = nx.DiGraph(), {}
    graph.add_nodes_from(modules)
    for name, (path, tree) in modules.items():
        imported[name] = set()
        for node in imports(tree):
            for target in targets(node, name, path, modules, exported):
                imported[name].add(target)
                own_submodule = path.name == "__init__.py" and target.startswith(name + ".")
                if target in modules and target != name and not own_submodule:
                    graph.add_edge(name, target)
    return graph, imported


def test_the_import_graph_has_no_cycles():
    graph, _ = import_graph()
    assert list(nx.simple_cycles(graph)) == []


def test_metabolism_does_not_import_the_engine():
    _, imported = import_graph()
    upward = {(name, target) for name, targets_ in imported.items() if name.startswith("mbsim.metabolism")
              for target in targets_ if target.startswith("mbsim.engine")}
    assert upward == set()


def test_solvers_use_only_numpy_scipy_and_the_errors():
    _, imported = import_graph()
    allowed = ("numpy", "scipy", "mbsim.errors", "mbsim.solvers")
    outside = {(name, target) for name, targets_ in imported.items() if name.startswith("mbsim.solvers")
               for target in targets_
               if not target.startswith(allowed) and target.split(".")[0] not in sys.stdlib_module_names}
    assert outside == set()
