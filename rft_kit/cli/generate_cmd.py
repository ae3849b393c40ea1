"""``rft generate``, ``rft templates``, ``rft stats`` and ``rft select``: make and curate task sets."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import typer
import yaml

from ..errors import RftKitError
from ..io.escape import json_text
from ._common import err_console, fail, print_json, write_json_file

MAX_ITEMS = 10_000_000
"""Most items one ``rft generate`` draws. Items are streamed to disk; the statistics keep ~80 bytes per item (lengths
and a prompt hash for the duplicate count), so this bounds memory near 1 GB. Larger sets: slices with ``--start``."""
MAX_INDEX = 2**62
"""Item indices stay far inside the 64-bit range that ids and seeds are derived from."""


def _overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            fail(f"--set takes FIELD=VALUE, got {pair!r}")
        # YAML scalars, so --set max_steps=5 is an int and --set labels=[refund,faq] a list
        out[key.strip()] = yaml.safe_load(raw)
    return out


def generate(
    template: str = typer.Argument(None, help="Template name (see `rft templates`) or a user template .yaml file."),
    n: int = typer.Option(100, "-n", help="How many items."),
    seed: int = typer.Option(0, "--seed", help="Set seed: the same seed gives byte-identical items."),
    difficulty: str = typer.Option(None, "--difficulty", help="A level of the template, or 'mixed'."),
    start: int = typer.Option(0, "--start", help="First index (sets are random-access)."),
    set_: list[str] = typer.Option([], "--set", help="Override a config field: FIELD=VALUE (repeatable)."),
    output: Path = typer.Option(None, "-o", "--output", help="Write JSONL here (default: stdout)."),
    split: float = typer.Option(None, "--split", help="Train share, e.g. 0.9: writes <out>.train.jsonl/.valid.jsonl."),
    near_dup: float = typer.Option(95.0, "--near-dup-threshold", help="Similarity (0-100) that makes a near-dup."),
    hf_dir: Path = typer.Option(None, "--hf-dir", help="Also save as a Hugging Face DatasetDict here."),
    push: str = typer.Option(None, "--push", help="Push the DatasetDict to this Hub repo (needs --hf-dir)."),
    stats_json: Path = typer.Option(None, "--stats-json", help="Write the set statistics as JSON here."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not print statistics."),
    from_docs: Path = typer.Option(None, "--from-docs", help="Draft items from the documents in DIR with a model."),
    spec: Path = typer.Option(None, "--spec", help="Drafting spec (YAML) for --from-docs."),
) -> None:
    """Generate a task set (RFT rows) from a template, then print its statistics."""
    from ..tasks import generate as draw
    from ..tasks import split_items, write_items
    from ..tasks.stats import set_stats

    if from_docs is not None or spec is not None:
        _from_docs(from_docs, spec, output, seed, quiet)
        return
    if template is None:
        fail("give a template name or .yaml file (see `rft templates`), or --from-docs DIR --spec SPEC")
    if push and not hf_dir:
        fail("--push needs --hf-dir (the dataset is saved locally first)")
    if split is not None and output is None:
        fail("--split needs -o (the train and validation files are named after it)")
    if not 0 <= n <= MAX_ITEMS:
        fail(f"-n must be between 0 and {MAX_ITEMS:,}, got {n:,} (draw a larger set in slices with --start)")
    if not 0 <= start <= MAX_INDEX:
        fail(f"--start must be between 0 and {MAX_INDEX:,}, got {start:,}")
    streamed = split is None and hf_dir is None
    try:
        drawn = draw(template, n, seed=seed, difficulty=difficulty, start=start, overrides=_overrides(set_))
        if streamed:
            # Straight to the output as drawn, statistics taken on the way: memory does not hold the set.
            stats = _stream(drawn, output)
            _finish(stats, stats_json, quiet, output, split)
            return
        items = list(drawn)
        splits: dict[str, list[dict[str, Any]]] = {"train": items}
        if split is not None:
            result = split_items(items, split, seed=seed, threshold=near_dup)
            splits = {"train": result.train, "validation": result.valid}
            stem = output.with_suffix("") if output.suffix == ".jsonl" else output
            write_items(result.train, f"{stem}.train.jsonl")
            write_items(result.valid, f"{stem}.valid.jsonl")
            if not quiet:
                err_console.print(
                    f"split: {len(result.train)} train -> {stem}.train.jsonl, {len(result.valid)} valid -> "
                    f"{stem}.valid.jsonl ({result.grouped_items} items in near-duplicate groups kept on one side)"
                )
        elif output is not None:
            write_items(items, output)
        else:
            for item in items:
                sys.stdout.write(json_text(item) + "\n")
        if hf_dir is not None:
            from ..tasks.hf import save_hf_dataset

            save_hf_dataset(splits, hf_dir, push=push)
    except (RftKitError, ValueError) as exc:
        fail(str(exc))
    _finish(set_stats(items), stats_json, quiet, output, split)


def _stream(items: Iterator[dict[str, Any]], output: Path | None) -> dict[str, Any]:
    from ..errors import InputError
    from ..io.output import open_replacing, output_error
    from ..tasks.generate import dumps_item
    from ..tasks.stats import set_stats

    def tee(handle: IO[str]) -> Iterator[dict[str, Any]]:
        for item in items:
            handle.write(dumps_item(item) + "\n")
            yield item

    if output is None:
        return set_stats(tee(sys.stdout))
    try:
        with open_replacing(output) as handle:
            return set_stats(tee(handle))
    except BrokenPipeError:
        raise
    except OSError as exc:
        error: InputError = output_error(output, exc)
        raise error from None


def _finish(
    stats: dict[str, Any], stats_json: Path | None, quiet: bool, output: Path | None, split: float | None
) -> None:
    from ..tasks.stats import format_stats

    if stats_json is not None:
        write_json_file(stats_json, stats, what="statistics")
    if not quiet:
        where = f" -> {output}" if output is not None and split is None else ""
        err_console.print(f"generated {stats['items']} items{where}\n{format_stats(stats)}")


def _from_docs(docs: Path | None, spec: Path | None, output: Path | None, seed: int, quiet: bool) -> None:
    if docs is None or spec is None:
        fail("--from-docs and --spec go together")
    if output is None:
        fail("--from-docs needs -o (kept items go there, the decision report beside it)")
    from ..tasks.drafting import draft_from_docs

    try:
        summary = draft_from_docs(docs, spec, output, seed=seed)
    except RftKitError as exc:
        fail(str(exc))
    if not quiet:
        err_console.print(summary.describe())


def templates(
    paths: list[str] = typer.Argument(None, help="Also describe these user template files."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the task templates with their levels and graders."""
    from ..tasks import get_template, known_templates

    rows: list[dict[str, Any]] = []
    try:
        for name in [*known_templates(), *(paths or [])]:
            gen = get_template(name)
            rows.append(
                {
                    "name": gen.name,
                    "domain": gen.domain,
                    "kind": getattr(gen, "kind", "single_turn"),
                    "version": gen.version,
                    "levels": list(gen.levels),
                    "default_level": gen.default_level,
                    "grader": gen.grader,
                    "description": gen.description,
                }
            )
    except RftKitError as exc:
        fail(exc)
    if as_json:
        print_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("template", "domain", "levels", "grader", "description")
    for row in rows:
        table.add_row(row["name"], row["domain"], ", ".join(row["levels"]), row["grader"], row["description"])
    Console().print(table)


def stats(
    path: Path = typer.Argument(..., help="A tasks JSONL file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Print statistics of a task set: size, difficulty mix, label balance, prompt lengths, duplicates."""
    from ..tasks.generate import read_items
    from ..tasks.stats import format_stats, set_stats

    try:
        result = set_stats(read_items(path))
    except RftKitError as exc:
        fail(exc)
    if as_json:
        print_json(result)
    else:
        typer.echo(format_stats(result))


def select(
    grades: Path = typer.Option(..., "--grades", help="grades.jsonl from `rft grade` (k samples per item)."),
    tasks: Path = typer.Option(..., "--tasks", help="The task set the samples answered."),
    band: tuple[float, float] = typer.Option((0.1, 0.9), "--band", help="Keep items with mean reward in [LOW, HIGH]."),
    output: Path = typer.Option(..., "-o", "--output", help="Where the kept items go."),
    min_samples: int = typer.Option(1, "--min-samples", help="Drop items with fewer scored samples."),
    errors_as_zero: bool = typer.Option(False, "--errors-as-zero", help="Count errored grades as reward 0."),
    report: Path = typer.Option(None, "--report", help="Write one decision per item (JSONL) here."),
) -> None:
    """Keep the items whose mean reward across samples falls inside a band (they carry learning signal)."""
    from ..io.jsonl import iter_jsonl
    from ..tasks import select_items, write_items
    from ..tasks.generate import read_items

    try:
        items = read_items(tasks)
        records = [ln.value for ln in iter_jsonl(grades) if ln.error is None and isinstance(ln.value, dict)]
        selection = select_items(items, records, band, min_samples=min_samples, errors_as_zero=errors_as_zero)
    except (RftKitError, ValueError) as exc:
        fail(str(exc))
    write_items(selection.kept, output)
    if report is not None:
        write_items(selection.decisions, report)
    counts = ", ".join(f"{k} {v}" for k, v in sorted(selection.counts().items()))
    err_console.print(f"kept {len(selection.kept)} of {len(items)} items -> {output} ({counts})")
