"""The resolver of shipped content (rft_kit.library): where graders and templates are, and what rft:NAME means."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

import rft_kit
from rft_kit import library
from rft_kit.errors import ConfigError
from rft_kit.graders.loading import read_grader_file
from rft_kit.runs.config import load_pipeline
from rft_kit.runs.pipeline import _load_grader
from rft_kit.tasks import get_template, known_templates, load_template_grader
from rft_kit.tasks.user_template import load_user_template

ROOT = Path(__file__).resolve().parents[1]


def test_a_checkout_uses_its_top_level_folders() -> None:
    assert library.library_root() == ROOT
    assert library.graders_dir() == ROOT / "graders"
    assert library.templates_dir() == ROOT / "task_templates"


def _fake_root(base: Path) -> Path:
    (base / "graders" / "tasks").mkdir(parents=True)
    (base / "task_templates").mkdir()
    shutil.copy(ROOT / "graders" / "exact_answer.yaml", base / "graders" / "only_this.yaml")
    return base


def test_a_bundled_copy_wins_over_the_checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundled = _fake_root(tmp_path / "_library")
    monkeypatch.setattr(library, "_BUNDLED", bundled)
    assert library.library_root() == bundled
    assert list(library.library_graders()) == ["only_this"]
    assert library.resolve_grader("rft:only_this") == bundled / "graders" / "only_this.yaml"
    with pytest.raises(ConfigError, match="rft:only_this"):
        library.resolve_grader("rft:exact_answer")  # the checkout's library is not consulted


def test_a_missing_library_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(library, "_BUNDLED", tmp_path / "nothing")
    monkeypatch.setattr(library, "_PACKAGE_DIR", tmp_path / "site-packages" / "rft_kit")
    with pytest.raises(ConfigError, match="reinstall rft-kit"):
        library.library_root()


@pytest.mark.parametrize(
    ("ref", "relative"),
    [
        ("rft:exact_answer", "exact_answer.yaml"),
        ("rft:exact_answer.yaml", "exact_answer.yaml"),
        ("rft:tasks/arithmetic_word", "tasks/arithmetic_word.yaml"),
        (Path("rft:tasks/arithmetic_word"), "tasks/arithmetic_word.yaml"),  # how typer hands CLI arguments over
    ],
)
def test_rft_names_resolve_to_library_files(ref: str | Path, relative: str) -> None:
    assert library.resolve_grader(ref) == ROOT / "graders" / relative


def test_paths_pass_through_unchanged() -> None:
    assert library.resolve_grader("graders/exact_answer.yaml") == Path("graders/exact_answer.yaml")
    assert library.resolve_grader(Path("/x/rft.yaml")) == Path("/x/rft.yaml")
    assert not library.is_library_ref("my-rft:grader.yaml")


def test_an_unknown_name_lists_the_known_ones_with_a_did_you_mean() -> None:
    with pytest.raises(ConfigError) as info:
        library.resolve_grader("rft:tasks/arithmetic_words")
    message = str(info.value)
    assert "did you mean 'rft:tasks/arithmetic_word'" in message
    for name in library.library_graders():
        assert f"rft:{name}" in message


def test_every_library_file_resolves_by_its_name() -> None:
    for name, path in library.library_graders().items():
        assert library.resolve_grader(f"rft:{name}") == path
        assert path.is_relative_to(ROOT / "graders") and path.suffix == ".yaml"


def test_the_library_lists_every_grader_file_with_type_and_description() -> None:
    on_disk = {
        p.relative_to(ROOT / "graders").with_suffix("").as_posix()
        for p in (ROOT / "graders").rglob("*")
        if p.suffix in (".yaml", ".yml", ".json")
    }
    described = library.describe_library()
    assert {g.name.removeprefix("rft:") for g in described} == on_disk
    for grader in described:
        config = yaml.safe_load(grader.path.read_text(encoding="utf-8"))
        assert grader.type == config["type"]
        assert 10 < len(grader.description) < 300 and "\n" not in grader.description, grader.name


def test_description_is_the_first_sentence_of_the_leading_comment() -> None:
    text = "# First part of a sentence\n# that goes on. Second sentence.\n#\n# More.\ntype: x\n# not this\n"
    assert library._description(text) == "First part of a sentence that goes on."
    assert library._description("type: x\n") == ""


def test_every_template_names_its_grader_by_rft_name_and_it_loads() -> None:
    for name in known_templates():
        gen = get_template(name)
        assert library.is_library_ref(gen.grader), f"{name}: {gen.grader}"
        assert load_template_grader(gen).name


def test_load_grader_and_read_grader_file_take_rft_names() -> None:
    grader = rft_kit.load_grader("rft:exact_answer")
    assert grader.grade("Paris", {"answer": "Paris"}).reward == 1.0
    file = read_grader_file(Path("rft:tasks/arithmetic_word"))
    assert file.config["name"] == "arithmetic_word"
    assert file.source == str(ROOT / "graders" / "tasks" / "arithmetic_word.yaml")  # errors point at the real file
    with pytest.raises(ConfigError, match="unknown library grader"):
        rft_kit.load_grader("rft:no_such_grader")


def _user_template(tmp_path: Path, grader: str) -> Path:
    text = (ROOT / "task_templates" / "examples" / "shipping_quote.yaml").read_text(encoding="utf-8")
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    shutil.copy(ROOT / "task_templates" / "examples" / "data" / "customers.csv", data / "customers.csv")
    path = tmp_path / "t.yaml"
    path.write_text(text.replace("grader: rft:numeric_answer", f"grader: {grader}"), encoding="utf-8")
    return path


def test_user_templates_take_rft_names(tmp_path: Path) -> None:
    gen = load_user_template(_user_template(tmp_path, "rft:numeric_answer"))
    assert gen.grader == "rft:numeric_answer"
    assert gen.load_grader().name == "numeric_answer"
    with pytest.raises(ConfigError, match=r"grader.*unknown library grader 'rft:numeric'"):
        load_user_template(_user_template(tmp_path, "rft:numeric"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_user_template(_user_template(tmp_path, "missing.yaml"))


def test_pipeline_files_take_rft_names_and_resolve_template_files_beside_them(tmp_path: Path) -> None:
    _user_template(tmp_path, "rft:numeric_answer")
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(
        "name: x\ntasks: {template: t.yaml, n: 3}\nmodel: sim-base\ngrader: rft:tasks/arithmetic_word\n",
        encoding="utf-8",
    )
    config = load_pipeline(pipeline)
    assert config.tasks.template == str(tmp_path / "t.yaml")
    grader, source = _load_grader(config)
    assert (grader.name, source) == ("arithmetic_word", "rft:tasks/arithmetic_word")
    pipeline.write_text("name: x\ntasks: {template: t.yaml, n: 3}\nmodel: sim-base\ngrader: [1]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="grader"):
        load_pipeline(pipeline)
