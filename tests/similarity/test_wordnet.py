"""Offline WordNet provisioning for METEOR (rft_kit.similarity.wordnet)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import nltk
import pytest

from rft_kit.errors import DependencyError
from rft_kit.similarity import wordnet
from rft_kit.similarity.meteor import MeteorMetric

DEBIAN = Path(wordnet.DEBIAN_WORDNET_DIR)
needs_debian = pytest.mark.skipif(
    not (DEBIAN / "data.noun").is_file(), reason="needs apt-get install wordnet-base wordnet-sense-index"
)


@pytest.fixture
def isolated_nltk_path(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.delenv("RFT_KIT_NLTK_DATA", raising=False)
    path = list(nltk.data.path)
    monkeypatch.setattr(nltk.data, "path", path)
    return path


@needs_debian
@pytest.mark.slow
def test_build_from_debian_into_fresh_cache(tmp_path: Path, isolated_nltk_path: list[str]) -> None:
    data_dir = wordnet.ensure_wordnet(cache_dir=tmp_path, search_existing=False)
    assert Path(data_dir) == tmp_path / "nltk_data"
    assert isolated_nltk_path[0] == data_dir
    corpus = tmp_path / "nltk_data" / "corpora" / "wordnet"
    for source in DEBIAN.iterdir():
        if source.is_file():
            copy = corpus / source.name
            assert copy.is_file() and not copy.is_symlink(), source.name
            assert copy.stat().st_size == source.stat().st_size
    lines = (corpus / "lexnames").read_text().splitlines()
    assert len(lines) == 45
    assert all(re.fullmatch(r"\d\d\t[a-z]+\.[A-Za-z]+\t[1-4]", line) for line in lines)
    assert lines[0] == "00\tadj.all\t3" and lines[44] == "44\tadj.ppl\t3"
    assert not [p for p in corpus.parent.iterdir() if p.name.startswith(".wordnet-")]  # temp dir renamed

    reader = wordnet.load_wordnet(data_dir)
    assert reader.get_version() == "3.0"
    assert wordnet.load_wordnet(data_dir) is reader  # loaded once per process
    metric = MeteorMetric(nltk_data=data_dir)
    hypothesis = "It is a guide to action which ensures that the military always obeys the commands of the party"
    reference = "It is a guide to action that ensures that the military will forever heed Party commands"
    assert metric.score(hypothesis, reference) == pytest.approx(0.6944, abs=1e-4)
    assert metric.score("a car house", "a auto house") > metric.score("a red house", "a auto house")

    # A second build (a process that lost the race) leaves the finished corpus alone and cleans up.
    wordnet._build_from_debian(DEBIAN, tmp_path / "nltk_data")
    assert (corpus / "lexnames").read_text().splitlines() == lines
    assert not [p for p in corpus.parent.iterdir() if p.name.startswith(".wordnet-")]


def test_lexnames_match_the_wordnet_man_page() -> None:
    page = Path("/usr/share/man/man5/lexnames.5WN.gz")
    if not page.is_file():
        pytest.skip("lexnames(5WN) man page not installed")
    text = gzip.decompress(page.read_bytes()).decode("latin-1")
    documented = [(int(n), name) for n, name in re.findall(r"^(\d\d)\t(\S+)", text, flags=re.MULTILINE)]
    assert documented == [(number, name) for number, name, _ in wordnet.LEXNAMES]
    syncat = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
    assert all(cat == syncat[name.split(".")[0]] for _, name, cat in wordnet.LEXNAMES)


def test_cache_dir_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RFT_KIT_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "b"))
    assert wordnet.default_cache_dir() == tmp_path / "a"
    monkeypatch.delenv("RFT_KIT_CACHE")
    assert wordnet.default_cache_dir() == tmp_path / "b" / "rft_kit"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert wordnet.default_cache_dir() == Path.home() / ".cache" / "rft_kit"


def test_env_cache_is_used_for_the_build(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, isolated_nltk_path: list[str]
) -> None:
    # Pretend the corpus is already built there, so no copy is needed to see which directory is chosen.
    (tmp_path / "nltk_data" / "corpora" / "wordnet").mkdir(parents=True)
    (tmp_path / "nltk_data" / "corpora" / "wordnet" / "lexnames").write_text("")
    monkeypatch.setenv("RFT_KIT_CACHE", str(tmp_path))
    assert wordnet.ensure_wordnet(search_existing=False) == str(tmp_path / "nltk_data")


def test_explicit_nltk_data_dir_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, isolated_nltk_path: list[str]
) -> None:
    (tmp_path / "corpora").mkdir()
    (tmp_path / "corpora" / "wordnet.zip").write_bytes(b"")
    monkeypatch.setenv("RFT_KIT_NLTK_DATA", str(tmp_path))
    assert wordnet.ensure_wordnet(cache_dir=tmp_path / "unused") == str(tmp_path)
    assert not (tmp_path / "unused").exists()


def test_explicit_nltk_data_dir_without_wordnet_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RFT_KIT_NLTK_DATA", str(tmp_path))
    with pytest.raises(DependencyError, match="RFT_KIT_NLTK_DATA"):
        wordnet.ensure_wordnet(cache_dir=tmp_path / "cache")


def test_existing_nltk_data_dir_is_found(tmp_path: Path, isolated_nltk_path: list[str]) -> None:
    (tmp_path / "corpora" / "wordnet").mkdir(parents=True)
    (tmp_path / "corpora" / "wordnet" / "lexnames").write_text("")
    isolated_nltk_path.insert(0, str(tmp_path))
    assert wordnet.ensure_wordnet(cache_dir=tmp_path / "unused") == str(tmp_path)


def test_missing_debian_wordnet_says_what_to_install(tmp_path: Path, isolated_nltk_path: list[str]) -> None:
    with pytest.raises(DependencyError, match="apt-get install wordnet-base wordnet-sense-index"):
        wordnet.ensure_wordnet(cache_dir=tmp_path, search_existing=False, debian_dir=tmp_path / "nowhere")
    assert not (tmp_path / "nltk_data" / "corpora" / "wordnet").exists()


def test_unreadable_corpus_is_a_dependency_error(tmp_path: Path) -> None:
    (tmp_path / "corpora" / "wordnet").mkdir(parents=True)
    (tmp_path / "corpora" / "wordnet" / "lexnames").write_text("00\tadj.all\t3\n")
    with pytest.raises(DependencyError, match="apt-get install wordnet-base wordnet-sense-index"):
        wordnet.load_wordnet(str(tmp_path))
