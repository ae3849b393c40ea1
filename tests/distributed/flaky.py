"""A Ray actor for the dispatcher's failure tests: some chunks kill their actor's process or raise, once each."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


class FlakyActor:
    def __init__(self, folder: str) -> None:
        import ray

        self.folder = Path(folder)
        self.node_id = ray.get_runtime_context().get_node_id()

    def ready(self) -> dict[str, Any]:
        return {"node_id": self.node_id}

    def run(self, chunk: tuple[int, str]) -> tuple[str, int]:
        number, action = chunk
        marker = self.folder / f"done-{number}"
        if action != "ok" and not marker.exists():
            marker.touch()
            if action == "crash":
                os._exit(1)  # the actor's process dies: Ray reports the actor lost
            raise RuntimeError(f"chunk {number} failed once")
        return self.node_id, number * 10
