"""``python -m rft_kit.local_openai``: run the local server without the ``rft`` CLI (same options as ``serve``)."""

from __future__ import annotations

import argparse

from .tcp_server import serve


def _fail_first(value: str) -> int | str:
    return value if value == "all" else int(value)


def main(argv: list[str] | None = None) -> None:
    """Parse command-line options and run :func:`rft_kit.local_openai.serve` until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m rft_kit.local_openai", description="Run the local OpenAI-compatible server until Ctrl-C."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--latency-s", type=float, default=0.0)
    parser.add_argument("--fail-first", type=_fail_first, default=0, help="a count, or 'all'")
    parser.add_argument("--fail-status", type=int, default=500)
    parser.add_argument("--default-embedding-model", default=None)
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    serve(
        args.host,
        args.port,
        latency_s=args.latency_s,
        fail_first=args.fail_first,
        fail_status=args.fail_status,
        default_embedding_model=args.default_embedding_model,
        api_key=args.api_key,
        log_requests=not args.quiet,
    )


if __name__ == "__main__":
    main()
