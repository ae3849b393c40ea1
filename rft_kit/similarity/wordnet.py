"""Offline WordNet 3.0 for NLTK's METEOR, without ``nltk.download``.

NLTK's METEOR looks up synonyms in WordNet. NLTK normally fetches that corpus over the network with
``nltk.download("wordnet")``; rft-kit never does (graders run offline and must be reproducible). Instead
``ensure_wordnet`` finds or builds an NLTK data directory holding ``corpora/wordnet/``:

1. ``$RFT_KIT_NLTK_DATA`` if set (it must then contain ``corpora/wordnet``), else the first directory of
   ``nltk.data.path`` (which includes ``$NLTK_DATA``) that already holds ``corpora/wordnet`` or
   ``corpora/wordnet.zip``. Nothing is downloaded.
2. Otherwise it is built from Debian's WordNet 3.0 database (``apt-get install wordnet-base
   wordnet-sense-index``, files in ``/usr/share/wordnet``) into ``<cache>/nltk_data/corpora/wordnet/``, where
   ``<cache>`` is ``$RFT_KIT_CACHE``, else ``$XDG_CACHE_HOME/rft_kit``, else ``~/.cache/rft_kit``. The files
   are *copied*, not symlinked, because NLTK's path checks reject symlinks that leave the data root. Debian
   does not ship the ``lexnames`` file NLTK reads first, so it is generated from the standard WordNet 3.0
   list of 45 lexicographer files (``lexnames(5WN)``). The directory is assembled in a temporary sibling
   and renamed into place, so a concurrent process sees either nothing or a complete corpus.
3. Otherwise ``DependencyError`` says what to install.

``load_wordnet`` then opens the corpus once per process (about 2.5 s) and caches the reader.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

from rft_kit.errors import DependencyError

__all__ = ["DEBIAN_WORDNET_DIR", "LEXNAMES", "ensure_wordnet", "load_wordnet"]

DEBIAN_WORDNET_DIR = "/usr/share/wordnet"
INSTALL_HINT = "apt-get install wordnet-base wordnet-sense-index"

# WordNet 3.0 lexicographer files: (number, name, syntactic category: 1 noun, 2 verb, 3 adj, 4 adv).
LEXNAMES: tuple[tuple[int, str, int], ...] = (
    (0, "adj.all", 3),
    (1, "adj.pert", 3),
    (2, "adv.all", 4),
    (3, "noun.Tops", 1),
    (4, "noun.act", 1),
    (5, "noun.animal", 1),
    (6, "noun.artifact", 1),
    (7, "noun.attribute", 1),
    (8, "noun.body", 1),
    (9, "noun.cognition", 1),
    (10, "noun.communication", 1),
    (11, "noun.event", 1),
    (12, "noun.feeling", 1),
    (13, "noun.food", 1),
    (14, "noun.group", 1),
    (15, "noun.location", 1),
    (16, "noun.motive", 1),
    (17, "noun.object", 1),
    (18, "noun.person", 1),
    (19, "noun.phenomenon", 1),
    (20, "noun.plant", 1),
    (21, "noun.possession", 1),
    (22, "noun.process", 1),
    (23, "noun.quantity", 1),
    (24, "noun.relation", 1),
    (25, "noun.shape", 1),
    (26, "noun.state", 1),
    (27, "noun.substance", 1),
    (28, "noun.time", 1),
    (29, "verb.body", 2),
    (30, "verb.change", 2),
    (31, "verb.cognition", 2),
    (32, "verb.communication", 2),
    (33, "verb.competition", 2),
    (34, "verb.consumption", 2),
    (35, "verb.contact", 2),
    (36, "verb.creation", 2),
    (37, "verb.emotion", 2),
    (38, "verb.motion", 2),
    (39, "verb.perception", 2),
    (40, "verb.possession", 2),
    (41, "verb.social", 2),
    (42, "verb.stative", 2),
    (43, "verb.weather", 2),
    (44, "adj.ppl", 3),
)

_POS = ("noun", "verb", "adj", "adv")
# Files NLTK's WordNetCorpusReader opens while loading or looking up synsets; a Debian tree without them
# is unusable. Other regular files (index.sense, cntlist.rev, ...) are copied when present.
_REQUIRED_FILES = tuple(f"{kind}.{pos}" for kind in ("data", "index") for pos in _POS) + tuple(
    f"{pos}.exc" for pos in _POS
)

_LOCK = threading.Lock()
_READERS: dict[str, Any] = {}


def default_cache_dir() -> Path:
    """Return rft-kit's cache directory: ``$RFT_KIT_CACHE``, ``$XDG_CACHE_HOME/rft_kit`` or ``~/.cache/rft_kit``."""
    if os.environ.get("RFT_KIT_CACHE"):
        return Path(os.environ["RFT_KIT_CACHE"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "rft_kit"
    return Path.home() / ".cache" / "rft_kit"


def _has_wordnet(data_dir: Path) -> bool:
    corpora = data_dir / "corpora"
    return (corpora / "wordnet" / "lexnames").is_file() or (corpora / "wordnet.zip").is_file()


def _existing_data_dir() -> Path | None:
    """Return an NLTK data directory that already holds WordNet (never downloads), or ``None``."""
    explicit = os.environ.get("RFT_KIT_NLTK_DATA")
    if explicit:
        if not _has_wordnet(Path(explicit)):
            raise DependencyError(
                f"RFT_KIT_NLTK_DATA={explicit} has no corpora/wordnet (with a lexnames file); unset it to "
                f"let rft-kit build one from Debian's WordNet ({INSTALL_HINT})"
            )
        return Path(explicit)
    import nltk

    for entry in nltk.data.path:
        if isinstance(entry, str) and entry and _has_wordnet(Path(entry)):
            return Path(entry)
    return None


def _build_from_debian(source: Path, data_dir: Path) -> None:
    """Copy Debian's WordNet into ``data_dir/corpora/wordnet`` atomically (temp dir, then rename)."""
    missing = [name for name in _REQUIRED_FILES if not (source / name).is_file()]
    if missing:
        raise DependencyError(
            f"WordNet 3.0 (needed by METEOR) was not found: {source} lacks {', '.join(missing)}. "
            f"Install it with `{INSTALL_HINT}`, or point RFT_KIT_NLTK_DATA at an NLTK data directory "
            "containing corpora/wordnet"
        )
    corpora = data_dir / "corpora"
    corpora.mkdir(parents=True, exist_ok=True)
    target = corpora / "wordnet"
    tmp = Path(tempfile.mkdtemp(prefix=".wordnet-", dir=corpora))
    try:
        for path in sorted(source.iterdir()):
            if path.is_file():
                shutil.copyfile(path, tmp / path.name)  # follows symlinks: the copy is a real file
        lines = "".join(f"{number:02d}\t{name}\t{syncat}\n" for number, name, syncat in LEXNAMES)
        (tmp / "lexnames").write_text(lines, encoding="ascii")
        os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; the cache may be shared
        if target.exists() and not (target / "lexnames").is_file():
            # A stale, incomplete tree from an older tool: move it away rather than trusting it.
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / "lexnames").is_file():
                raise
            # Another process finished first; its copy is identical.
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def ensure_wordnet(
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    search_existing: bool = True,
    debian_dir: str | os.PathLike[str] = DEBIAN_WORDNET_DIR,
) -> str:
    """Return an NLTK data directory containing ``corpora/wordnet``, building it if needed.

    The directory is also put first on ``nltk.data.path``. Nothing is ever downloaded.

    Args:
        cache_dir: rft-kit cache root; the corpus is built in ``<cache_dir>/nltk_data``. Defaults to
            ``default_cache_dir()``.
        search_existing: look at ``$RFT_KIT_NLTK_DATA`` and ``nltk.data.path`` first. Tests turn it off to
            force a build.
        debian_dir: where Debian's ``wordnet-base`` installed the database.

    Returns:
        The NLTK data directory (the parent of ``corpora/``).

    Raises:
        DependencyError: no WordNet is available and it cannot be built from Debian's files.
    """
    import nltk

    found = _existing_data_dir() if search_existing else None
    if found is None:
        data_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        data_dir = data_dir / "nltk_data"
        if not _has_wordnet(data_dir):
            _build_from_debian(Path(debian_dir), data_dir)
        found = data_dir
    result = str(found)
    if result not in nltk.data.path:
        nltk.data.path.insert(0, result)
    return result


def load_wordnet(data_dir: str) -> Any:
    """Open the WordNet corpus in ``data_dir`` once per process and return the cached NLTK reader.

    Args:
        data_dir: an NLTK data directory as returned by ``ensure_wordnet``.

    Returns:
        An ``nltk.corpus.reader.wordnet.WordNetCorpusReader`` for WordNet 3.0.

    Raises:
        DependencyError: the corpus cannot be read or is not WordNet 3.0.
    """
    with _LOCK:
        reader = _READERS.get(data_dir)
        if reader is not None:
            return reader
        import nltk
        from nltk.corpus.reader.wordnet import WordNetCorpusReader

        try:
            root = nltk.data.find("corpora/wordnet", paths=[data_dir])
            with warnings.catch_warnings():
                # METEOR needs only English lemmas, so the Open Multilingual WordNet reader is not loaded.
                warnings.simplefilter("ignore")
                reader = WordNetCorpusReader(root, None)
            version = reader.get_version()
        except (LookupError, OSError, ValueError, AssertionError) as exc:
            raise DependencyError(
                f"cannot read WordNet from {data_dir}/corpora/wordnet ({exc}); reinstall it with "
                f"`{INSTALL_HINT}` and delete that directory so rft-kit rebuilds it"
            ) from exc
        if version != "3.0":
            raise DependencyError(
                f"{data_dir}/corpora/wordnet is WordNet {version}, but METEOR scores are defined with "
                f"WordNet 3.0 (`{INSTALL_HINT}`)"
            )
        _READERS[data_dir] = reader
        return reader
