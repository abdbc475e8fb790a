"""The project's shape: the boundaries and documents the rest of the code relies on."""

import ast
import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize(
    "path", sorted((ROOT / "plugins" / "comments").rglob("*.py")), ids=lambda p: p.name
)
def test_plugin_never_imports_moderation(path):
    offending = {m for m in imported_modules(path) if m.split(".")[0] == "moderation"}
    assert not offending, f"{path} imports {offending}: the file format is the only contract"


def test_detects_an_import_of_moderation(tmp_path):
    # The check above must be able to fail.
    sample = tmp_path / "sample.py"
    sample.write_text("from moderation.store import Store\nimport os\n")
    assert "moderation.store" in imported_modules(sample)


def test_every_comments_setting_is_documented_in_the_readme():
    settings = runpy.run_path(str(ROOT / "pelicanconf.py"))
    keys = sorted(k for k in settings if k.startswith("COMMENTS_"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(COMMENTS_[A-Z_]+)`", readme))
    assert keys, "pelicanconf.py declares no COMMENTS_* settings"
    assert not set(keys) - documented, f"undocumented settings: {set(keys) - documented}"


def test_moderation_reads_every_comments_setting_of_pelicanconf():
    from moderation.settings import DEFAULTS

    settings = runpy.run_path(str(ROOT / "pelicanconf.py"))
    plugin_only = {
        "COMMENTS_PATH",
        "COMMENTS_MAX_DEPTH",
        "COMMENTS_STRICT",
        "COMMENTS_FEED_ATOM",
        "COMMENTS_ALL_FEED_ATOM",
        "COMMENTS_ALL_FEED_MAX_ITEMS",
        "COMMENTS_RECENT_COUNT",
    }
    for key in settings:
        if key.startswith("COMMENTS_") and key not in plugin_only:
            assert key in DEFAULTS, f"{key} is in pelicanconf.py but moderation has no default"


def test_readme_gives_the_two_fresh_machine_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make serve" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


# -- the structure: SQL in the store only, no import cycles --------------------------------

PACKAGES = ("moderation", "comment_format", "plugins/comments")
_SQL = re.compile(
    r"^\s*(?:SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN|COMMIT|ROLLBACK|WITH)\b"
)


def sql_outside_the_store(root: Path) -> list[str]:
    """Places under ``moderation/`` outside ``moderation/store/`` that run or hold SQL."""
    found = []
    for path in sorted((root / "moderation").rglob("*.py")):
        if (root / "moderation" / "store") in path.parents:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            called = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            if called and node.func.attr in ("execute", "executemany", "executescript"):
                found.append(f"{path.relative_to(root)}:{node.lineno}: .{node.func.attr}()")
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and _SQL.match(text):
                found.append(f"{path.relative_to(root)}:{node.lineno}: {text[:40]!r}")
    return found


def test_all_sql_lives_in_the_store():
    assert sql_outside_the_store(ROOT) == []


def test_the_sql_check_finds_sql(tmp_path):
    (tmp_path / "moderation" / "store").mkdir(parents=True)
    (tmp_path / "moderation" / "store" / "ok.py").write_text('conn.execute("SELECT 1")\n')
    (tmp_path / "moderation" / "leak.py").write_text(
        'rows = store.conn.execute("SELECT * FROM comments")\n'
    )
    found = sql_outside_the_store(tmp_path)
    assert len(found) == 2 and all(f.startswith("moderation/leak.py:1") for f in found)


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[0] == "plugins":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module → the project modules it imports at run time (``TYPE_CHECKING`` excluded).

    ``from package import module`` counts as importing the module.
    """
    files = [p for package in PACKAGES for p in sorted((root / package).rglob("*.py"))]
    modules = {_module_name(root, p): p for p in files}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = {
            id(child)
            for node in ast.walk(tree)
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for child in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in skipped:
                continue
            if isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
                if not node.level:
                    target = node.module or ""
                subs = {f"{target}.{a.name}" for a in node.names} & modules.keys()
                if subs:
                    graph[name] |= subs
                elif target in modules:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_module_imports_itself_through_others():
    assert cycles(import_graph(ROOT)) == []


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def module_patterns(root: Path) -> dict[str, list[str]]:
    """Each regular expression compiled at module level under ``root`` → where."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            call = node.value if isinstance(node, ast.Assign) else None
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "compile"
                and call.args
                and isinstance(call.args[0], ast.Constant)
            ):
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                found.setdefault(call.args[0].value, []).append(where)
    return found


def test_the_shared_package_gives_each_pattern_one_home():
    # comment_format holds the rules both sides apply: a rule written twice will drift.
    repeated = {p: w for p, w in module_patterns(ROOT / "comment_format").items() if len(w) > 1}
    assert repeated == {}
