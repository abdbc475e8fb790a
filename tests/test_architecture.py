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
