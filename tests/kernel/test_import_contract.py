"""The import contract of pyproject.toml (run by `make lint`) catches an import that points up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
PACKAGES = ("web", "jobs", "bot", "infra", "demo", "models")


def contract() -> str:
    """The [tool.importlinter] part of our pyproject.toml, as it is."""
    text = (ROOT / "pyproject.toml").read_text()
    return text[text.index("[tool.importlinter]") :]


def lint_imports(tree: Path, modules: dict[str, str]) -> subprocess.CompletedProcess:
    """lint-imports with our contract over a tree of our package names holding `modules`."""
    for package in PACKAGES:
        (tree / package).mkdir()
        (tree / package / "__init__.py").write_text("")
    for name, source in modules.items():
        (tree / f"{name.replace('.', '/')}.py").write_text(source)
    (tree / "pyproject.toml").write_text(contract())
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(  # noqa: S603  (our own venv's tool, our own arguments)
        [str(lint), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_imports_that_point_down_keep_the_contract(tmp_path):
    result = lint_imports(
        tmp_path,
        {
            "web.views": "import bot.door, demo.county, infra.db, jobs.ticks, models.things\n",
            "jobs.ticks": "import bot.door\nimport models.things\n",
            "bot.door": "import infra.db\nimport models.things\n",
            "infra.db": "import models.things\n",
            "demo.county": "import models.things\n",
            "models.things": "import sqlalchemy\n",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


def test_an_upward_import_or_a_doors_framework_in_the_domain_breaks_it(tmp_path):
    result = lint_imports(
        tmp_path,
        {
            "models.things": "import flask\n",
            "bot.door": "import web.views\n",
            "web.views": "",
            "infra.db": "import jobs\n",
        },
    )
    assert result.returncode != 0
    out = result.stdout
    assert "The domain imports no door and no framework of a door BROKEN" in out
    assert "models.things -> flask" in out
    assert "bot and jobs never import web BROKEN" in out and "bot.door -> web.views" in out
    assert "The integrations import no door BROKEN" in out and "infra.db -> jobs" in out
