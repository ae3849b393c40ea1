"""The run index on disk, so a large run opens fast the next time ``rft view`` starts.

After a refresh that read a lot (:data:`SAVE_AFTER_BYTES`), the index's state is written as msgpack to
``<cache dir>/<hash of the folder's path>.msgpack`` (no pickle: loading a cache runs no code). On the next start
the state is loaded and the files are followed from the byte offsets it holds; the tails check that the bytes read
before are still there (the file's inode, its first bytes, the last ones before the offset and the checksums of 16
pages spread over what was read: :mod:`~rft_kit.viewer.tail`), so a file that was replaced, truncated or rewritten
in place since starts the index over, and one that only grew is read from where the save left off. The default
cache dir is ``$XDG_CACHE_HOME/rft-kit/view`` (else ``~/.cache/rft-kit/view``); ``RFT_VIEW_CACHE=off`` disables it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path
from typing import Any, Final

import msgspec

from .index import RunIndex

__all__ = ["CACHE_FORMAT", "SAVE_AFTER_BYTES", "default_cache_dir", "load_index", "save_index"]

CACHE_FORMAT: Final = 2
SAVE_AFTER_BYTES: Final = 16 << 20
"""Records read since the last save (in file bytes) that make saving worth it; small runs index faster than this."""


def default_cache_dir() -> Path | None:
    setting = os.environ.get("RFT_VIEW_CACHE")
    if setting is not None:
        return None if setting.lower() in ("", "0", "off", "no") else Path(setting)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "rft-kit" / "view"


def _path(cache_dir: Path, folder: Path) -> Path:
    return cache_dir / (hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:32] + ".msgpack")


def load_index(folder: Path, cache_dir: Path | None) -> RunIndex:
    """The folder's index, taken up from its cache when there is a usable one (else empty), not yet refreshed."""
    index = RunIndex(folder)
    if cache_dir is None:
        return index
    path = _path(cache_dir, folder)
    try:
        state = msgspec.msgpack.decode(path.read_bytes())
        if state.get("format") != CACHE_FORMAT or state.get("folder") != str(folder.resolve()):
            return index
        index.restore(state["index"])
        index.cached_bytes = index.read_bytes
    except (OSError, ValueError, KeyError, TypeError, IndexError, msgspec.MsgspecError):
        return RunIndex(folder)  # no cache, or one that cannot be used: build from the files
    return index


def save_index(
    index: RunIndex, cache_dir: Path | None, *, min_bytes: int = SAVE_AFTER_BYTES, background: bool = False
) -> bool:
    """Write the index's state when it read at least ``min_bytes`` since the last save; returns whether it did
    (or, with ``background``, started to: the state is taken now, encoded and written by a thread, so the request
    that built the index does not wait for the disk)."""
    if cache_dir is None or index.read_bytes - index.cached_bytes < min_bytes:
        return False
    document = {"format": CACHE_FORMAT, "folder": str(index.folder), "index": index.state()}
    index.cached_bytes = index.read_bytes
    path = _path(cache_dir, index.folder)
    if background:
        threading.Thread(target=_write, args=(path, document), name="rft-view-cache", daemon=True).start()
        return True
    return _write(path, document)


def _write(path: Path, document: dict[str, Any]) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        temp.write_bytes(msgspec.msgpack.encode(document))
        os.replace(temp, path)
    except OSError:
        return False  # a read-only or full disk costs the next start time, nothing else
    return True
