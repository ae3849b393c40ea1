"""The ``rft_kit.graders`` entry-point group, through a dummy installed distribution.

A temporary directory holds a tiny package and its ``*.dist-info`` (METADATA and entry_points.txt), exactly what
``pip install`` leaves in site-packages; a fresh interpreter with that directory on its path must find the grader
type through ``importlib.metadata``, validate configs with the plugin's schema, run it, and export it through its
``to_hosted`` (or refuse when it has none).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PLUGIN = '''
from rft_kit.graders.base import Grader


class CharCountGrader(Grader):
    """Reward 1 when the output has at most ``max_chars`` characters."""

    type = "char_count"
    schema = {
        "type": "object",
        "required": ["type", "name", "max_chars"],
        "properties": {
            "type": {"const": "char_count"},
            "name": {"type": "string"},
            "max_chars": {"type": "integer", "minimum": 1},
        },
    }

    def _score(self, sample, item):
        return 1.0 if len(sample.output_text) <= self.to_config()["max_chars"] else 0.0


class ExportableCharCountGrader(CharCountGrader):
    type = "char_count_exportable"
    schema = {**CharCountGrader.schema, "properties": {**CharCountGrader.schema["properties"],
              "type": {"const": "char_count_exportable"}}}

    def to_hosted(self):
        limit = self.to_config()["max_chars"]
        source = f"def grade(sample, item):\\n    return 1.0 if len(sample['output_text']) <= {limit} else 0.0\\n"
        return {"type": "python", "name": self.name, "source": source}
'''

ENTRY_POINTS = """\
[rft_kit.graders]
char_count = rft_dummy_grader:CharCountGrader
char_count_exportable = rft_dummy_grader:ExportableCharCountGrader
"""

CHECK = """
import json
from rft_kit.errors import ConfigError
from rft_kit.export.hosted_grader import hosted_grader
from rft_kit.export.issues import Issues
from rft_kit.graders.loading import load_grader
from rft_kit.graders.registry import get_spec, known_types

out = {"known": [t for t in known_types() if t.startswith("char_count")], "hosted": get_spec("char_count").hosted}
grader = load_grader({"type": "char_count", "name": "short", "max_chars": 5}, placement="any")
out["rewards"] = [grader.grade("four").reward, grader.grade("too long").reward]
try:
    load_grader({"type": "char_count", "name": "short", "max_chars": 0}, placement="any")
except ConfigError as exc:
    out["invalid"] = str(exc)
issues = Issues()
out["export"] = hosted_grader({"type": "char_count_exportable", "name": "e", "max_chars": 3}, issues)
refused = Issues()
out["refused"] = hosted_grader({"type": "char_count", "name": "r", "max_chars": 3}, refused)
out["refused_why"] = [str(i) for i in refused.errors]
print(json.dumps(out))
"""


def _install_dummy(site: Path) -> None:
    package = site / "rft_dummy_grader"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PLUGIN, encoding="utf-8")
    info = site / "rft_dummy_grader-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: rft-dummy-grader\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")


def test_a_grader_type_from_an_installed_distribution(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    _install_dummy(site)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(site)])}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHECK)], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["known"] == ["char_count", "char_count_exportable"]
    assert out["hosted"] is False
    assert out["rewards"] == [1.0, 0.0]
    assert "max_chars" in out["invalid"]
    assert out["export"]["type"] == "python" and "<= 3" in out["export"]["source"]
    assert out["refused"] is None and "no hosted equivalent" in " ".join(out["refused_why"])


def test_without_the_distribution_the_type_is_unknown(tmp_path: Path) -> None:
    code = (
        "from rft_kit.graders.registry import get_spec\n"
        "from rft_kit.errors import ConfigError\n"
        "try:\n    get_spec('char_count')\nexcept ConfigError as e:\n    print('unknown' if 'unknown' in str(e) else e)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.stdout.strip() == "unknown", done.stderr
