"""The request log never blocks its caller on the stream: a pipe nobody reads, a reader that went away, a stream
without a file descriptor."""

from __future__ import annotations

import io
import os
import threading
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from rft_kit.io.request_log import RequestLog


def _reader(fd: int, into: bytearray) -> threading.Thread:
    def run() -> None:
        while chunk := os.read(fd, 65536):
            into.extend(chunk)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_lines_reach_a_pipe_in_order() -> None:
    read_fd, write_fd = os.pipe()
    got = bytearray()
    reader = _reader(read_fd, got)
    with os.fdopen(write_fd, "w") as stream:
        log = RequestLog(stream)
        for n in range(2000):
            log.write(f"line {n}")
        log.close()
    reader.join(10)
    os.close(read_fd)
    assert got.decode().splitlines() == [f"line {n}" for n in range(2000)]
    assert (log.written, log.dropped) == (2000, 0)


def test_a_pipe_nobody_reads_never_blocks_the_writer_and_drops_are_reported() -> None:
    read_fd, write_fd = os.pipe()
    stream = os.fdopen(write_fd, "w")
    log = RequestLog(stream, capacity=1000)
    started = time.monotonic()
    for n in range(20_000):  # ~250 KB: the pipe's 64 KB fill, then the queue's 1000 lines, then lines are dropped
        log.write(f"127.0.0.1 POST /tools/get_order 200 {n} ms")
    assert time.monotonic() - started < 5.0  # in a blocking write this would never return
    assert log.dropped > 0
    got = bytearray()
    reader = _reader(read_fd, got)  # the reader comes back: what was queued, then the count of what was lost
    log.write("after")
    log.close(timeout_s=10)
    stream.close()
    reader.join(10)
    os.close(read_fd)
    lines = got.decode().splitlines()
    assert lines[0] == "127.0.0.1 POST /tools/get_order 200 0 ms"
    assert any("request log lines dropped" in line for line in lines)
    assert log.written + log.dropped == 20_001
    assert sum(1 for line in lines if "dropped" not in line) == log.written


def test_a_reader_that_went_away_stops_the_log_without_an_error() -> None:
    read_fd, write_fd = os.pipe()
    os.close(read_fd)
    stream = os.fdopen(write_fd, "w")
    log = RequestLog(stream)
    for n in range(10):
        log.write(f"line {n}")
    log.close()
    stream.close()
    assert log.written == 0 and log.dropped == 10


_LINE = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"))


@settings(max_examples=30, deadline=None)
@given(st.lists(_LINE, max_size=50))
def test_a_stream_without_a_descriptor_gets_every_line(lines: list[str]) -> None:
    stream = io.StringIO()
    log = RequestLog(stream)
    for line in lines:
        log.write(line)
    log.close()
    assert stream.getvalue().split("\n")[:-1] == lines
