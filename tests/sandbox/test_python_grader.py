"""The hosted python grader's semantics (docs/hosted-semantics.md: python), run in the local sandbox."""

from __future__ import annotations

import pickle
import time

import pytest

from rft_kit import ConfigError, load_grader

WRATIO = (
    "from rapidfuzz import fuzz, utils\n"
    "def grade(sample, item) -> float:\n"
    '    return fuzz.WRatio(sample["output_text"], item["reference_answer"], processor=utils.default_process) / 100.0\n'
)


def test_worked_example_rapidfuzz(python_grader):
    result = python_grader(WRATIO).run("fuzzy wuzzy was a bear", {"reference_answer": "fuzzy wuzzy had no hair"})
    assert result.status == "scored"
    assert result.reward == 0.7555555555555555
    envelope = result.envelope()
    assert envelope["reward"] == 0.7555555555555555
    assert not any(v for k, v in envelope["metadata"]["errors"].items() if isinstance(v, bool))
    assert result.metadata["isolation"]["level"] == "bwrap"


def test_worked_example_label_eq(python_grader):
    grader = python_grader(
        'def grade(sample, item):\n    return 1.0 if sample.get("output_text") == item.get("label") else 0.0\n'
    )
    assert grader.run("yes", {"label": "yes"}).reward == 1.0
    no = grader.run("Yes", {"label": "yes"})
    assert (no.status, no.reward) == ("scored", 0.0)


def test_sample_has_exactly_the_hosted_keys(python_grader):
    grader = python_grader(
        "def grade(sample, item):\n"
        "    keys = sorted(sample)\n"
        "    assert keys == ['choices', 'output_audio', 'output_json', 'output_text', 'output_tools'], keys\n"
        "    assert sample['output_json'] == {'a': 1}\n"
        "    return 1.0\n"
    )
    result = grader.run('{"a": 1}', {})
    assert (result.status, result.reward) == ("scored", 1.0), result.error


def test_key_error_is_a_runtime_error_with_traceback(python_grader):
    result = python_grader('def grade(sample, item):\n    return item["missing"]\n').run("x", {})
    assert (result.status, result.reward) == ("error", 0.0)
    assert result.error.kind == "runtime"
    assert result.error.flag == "python_grader_runtime_error"
    errors = result.envelope()["metadata"]["errors"]
    assert errors["python_grader_runtime_error"] is True
    assert errors["python_grader_server_error"] is False
    details = errors["python_grader_runtime_error_details"]
    assert "KeyError" in details
    assert "Traceback" in details
    assert 'File "grader.py", line 2, in grade' in details


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('return "0.5"', "got str"),
        ("return True", "got bool"),
        ("return None", "got NoneType"),
        ("return [1.0]", "got list"),
        ('return float("nan")', "not a finite number"),
        ('return float("inf")', "not a finite number"),
        ('return -float("inf")', "not a finite number"),
    ],
)
def test_invalid_return_values(python_grader, body, fragment):
    result = python_grader(f"def grade(sample, item):\n    {body}\n").run("x", {})
    assert (result.status, result.reward) == ("error", 0.0)
    assert result.error.flag == "python_grader_runtime_error"
    assert fragment in result.error.message


@pytest.mark.parametrize(("body", "expected"), [("return 1", 1.0), ("return 0", 0.0), ("return 0.25", 0.25)])
def test_numbers_are_accepted(python_grader, body, expected):
    result = python_grader(f"def grade(sample, item):\n    {body}\n").run("x", {})
    assert (result.status, result.reward) == ("scored", expected)
    assert "warnings" not in result.metadata


def test_numpy_numbers_are_accepted(python_grader):
    result = python_grader("import numpy as np\ndef grade(sample, item):\n    return np.float32(0.5)\n").run("x", {})
    assert (result.status, result.reward) == ("scored", 0.5)


def test_out_of_range_is_not_clamped(python_grader):
    result = python_grader("def grade(sample, item):\n    return 5.0\n").run("x", {})
    assert (result.status, result.reward) == ("scored", 5.0)
    assert "not clamped" in result.metadata["warnings"][0]


def test_timeout_is_an_error(python_grader):
    result = python_grader("import time\ndef grade(sample, item):\n    time.sleep(30)\n", timeout_s=0.5).run("x", {})
    assert (result.status, result.reward) == ("error", 0.0)
    assert result.error.kind == "timeout"
    assert result.error.flag == "python_grader_runtime_error"
    assert result.envelope()["metadata"]["errors"]["python_grader_runtime_error"] is True


def test_wrong_signature(python_grader):
    result = python_grader("def grade(sample):\n    return 1.0\n").run("x", {})
    assert result.error.flag == "python_grader_runtime_error"
    assert "grade(sample, item)" in result.error.message
    missing = python_grader("def score(sample, item):\n    return 1.0\n").run("x", {})
    assert "does not define a function grade" in missing.error.message


def test_exit_and_crash_are_runtime_errors(python_grader):
    for body in ("import sys; sys.exit(0)", "import os; os._exit(0)", "import os, signal; os.kill(os.getpid(), 9)"):
        result = python_grader(f"def grade(sample, item):\n    {body}\n").run("x", {})
        assert (result.status, result.reward) == ("error", 0.0), body
        assert result.error.flag == "python_grader_runtime_error", body


def test_prints_are_captured_not_parsed(python_grader):
    result = python_grader("def grade(sample, item):\n    print('reward: 1.0')\n    return 0.0\n").run("x", {})
    assert (result.status, result.reward) == ("scored", 0.0)
    assert "reward: 1.0" in result.metadata["stdout"]


def test_helpers_and_state_do_not_leak_between_samples(python_grader):
    grader = python_grader("COUNT = []\ndef grade(sample, item):\n    COUNT.append(1)\n    return float(len(COUNT))\n")
    assert [grader.run("x", {}).reward for _ in range(3)] == [1.0, 1.0, 1.0]


def test_config_checks():
    with pytest.raises(ConfigError, match="does not compile"):
        load_grader({"type": "python", "source": "def grade(sample, item)\n    return 1\n"})
    with pytest.raises(ConfigError, match="256 kB"):
        load_grader({"type": "python", "source": "# é\n" * 60_000 + "def grade(s, i):\n    return 1\n"})
    with pytest.raises(ConfigError, match="rft_options"):
        load_grader({"type": "python", "source": "def grade(s, i):\n    return 1\n", "rft_options": {"timeout": 3}})


def test_grader_pickles_by_config(python_grader):
    grader = python_grader("def grade(sample, item):\n    return 0.5\n", timeout_s=3)
    clone = pickle.loads(pickle.dumps(grader))
    assert clone.to_config() == grader.to_config()
    assert clone.limits.wall_s == 3
    assert clone.run("x", {}).reward == 0.5


def test_batch_equals_per_pair(python_grader):
    grader = python_grader('def grade(sample, item):\n    return len(sample["output_text"]) / 10\n')
    samples = [f"{'x' * i}" for i in range(8)] + [{"output_text": "abc", "error": {"message": "boom"}}]
    items = [{}] * len(samples)
    batch = grader.grade_batch(samples, items)
    single = [grader.grade(s, i) for s, i in zip(samples, items, strict=True)]
    assert [(r.status, r.reward) for r in batch] == [(r.status, r.reward) for r in single]
    assert batch[-1].status == "error"


# -- chunks: several samples per sandbox job, each still in a fresh process with its own limits -------------------
def _batch(grader, samples):
    results = grader.grade_batch(samples, [{}] * len(samples))
    assert len(results) == len(samples)
    return results


def test_state_does_not_leak_between_samples_of_a_chunk(python_grader):
    # every sample of a chunk marks the module, a builtin, an imported module and the working directory; each must
    # find all four pristine (one sample per process, forked from the pool; the directory emptied in between)
    grader = python_grader(
        "import builtins, json, os\n"
        "SEEN = []\n"
        "def grade(sample, item):\n"
        "    clean = not SEEN and not hasattr(builtins, 'planted') and json.dumps is not len\n"
        "    clean = clean and not os.path.exists('left_behind.txt')\n"
        "    SEEN.append(1)\n"
        "    builtins.planted = True\n"
        "    builtins.len = lambda x: 0\n"
        "    json.dumps = len\n"
        "    open('left_behind.txt', 'w').write('x')\n"
        "    return 1.0 if clean else 0.0\n"
    )
    results = _batch(grader, ["x"] * 40)
    assert [(r.status, r.reward) for r in results] == [("scored", 1.0)] * 40


def test_a_sample_that_kills_its_process_or_loops_zeroes_only_itself(python_grader):
    grader = python_grader(
        "import os, signal, time\n"
        "def grade(sample, item):\n"
        "    what = sample['output_text']\n"
        "    if what == 'exit':\n"
        "        os._exit(0)\n"
        "    if what == 'kill':\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    if what == 'loop':\n"
        "        while True:\n"
        "            pass\n"
        "    if what == 'sleep':\n"
        "        time.sleep(60)\n"
        "    if what == 'daemon':\n"
        "        if os.fork() == 0:\n"
        "            os.setsid()\n"
        "            time.sleep(60)\n"  # a leftover process: killed at the end of its sample
        "        return 0.5\n"
        # the candidate sandbox's pid namespace holds the pool (PID 1) and this process: nothing an earlier sample left
        "    return 1.0 if len([p for p in os.listdir('/proc') if p.isdigit()]) <= 2 else 0.25\n",
        timeout_s=1,
    )
    samples = ["ok", "exit", "ok", "kill", "ok", "loop", "ok", "sleep", "ok", "daemon", "ok", "ok"]
    start = time.monotonic()
    results = _batch(grader, samples)
    elapsed = time.monotonic() - start
    by = list(zip(samples, results, strict=True))
    assert all((r.status, r.reward) == ("scored", 1.0) for s, r in by if s == "ok"), [r.to_dict() for r in results]
    for name in ("exit", "kill"):
        result = results[samples.index(name)]
        assert (result.status, result.reward, result.error.kind) == ("error", 0.0, "runtime")
        assert result.error.flag == "python_grader_runtime_error"
    # how the process ended is known (the pool reports it): a SIGKILL reads as the memory cgroup's kill, as before
    assert "exit code 0" in results[samples.index("exit")].error.message
    assert "out of memory" in results[samples.index("kill")].error.message
    for name in ("loop", "sleep"):
        result = results[samples.index(name)]
        assert (result.status, result.reward, result.error.kind) == ("error", 0.0, "timeout"), result.to_dict()
    assert results[samples.index("daemon")].reward == 0.5
    assert elapsed < 30  # each timeout costs its own second, not the chunk's window


def test_limits_apply_to_each_sample_of_a_chunk(python_grader):
    # each sample may use almost its whole time and memory: a chunk does not share one budget between them
    grader = python_grader(
        "import time\n"
        "def grade(sample, item):\n"
        "    start = time.monotonic()\n"
        "    while time.monotonic() - start < 0.5:\n"
        "        pass\n"
        "    block = bytearray(200 << 20)\n"
        "    if sample['output_text'] == 'greedy':\n"
        "        more = bytearray(400 << 20)\n"
        "    return 1.0\n",
        timeout_s=2,  # 6 x 0.5 s would not fit in one 2 s budget
        memory_mb=500,
    )
    samples = ["a", "b", "greedy", "c", "d", "e"]
    results = _batch(grader, samples)
    assert [r.reward for r in results] == [1.0, 1.0, 0.0, 1.0, 1.0, 1.0], [r.to_dict() for r in results]
    assert "MemoryError" in results[2].error.message


def test_printing_is_capped_per_sample(python_grader):
    grader = python_grader(
        "def grade(sample, item):\n    print(sample['output_text'] * 2000)\n    return 1.0\n",
        output_bytes=10_000,
    )
    results = _batch(grader, ["a", "bbbbbbbbbb", "c"])
    assert [r.reward for r in results] == [1.0, 0.0, 1.0]
    assert "printed more than 10000 bytes" in results[1].error.message
    assert results[0].metadata["stdout"].startswith("aaaa")


def test_chunked_results_equal_per_pair_results(python_grader):
    grader = python_grader(
        "def grade(sample, item):\n"
        "    if sample['output_text'] == 'raise':\n"
        "        raise ValueError('no')\n"
        "    return item['w'] * len(sample['output_text'])\n"
    )
    samples = ["ab", "raise", "abcd", "", "raise", "a"] * 3
    items = [{"w": 0.1 * (i % 4)} for i in range(len(samples))]
    batch = grader.grade_batch(samples, items)
    single = [grader.grade(s, i) for s, i in zip(samples, items, strict=True)]
    assert [(r.status, r.reward, r.error and r.error.message) for r in batch] == [
        (r.status, r.reward, r.error and r.error.message) for r in single
    ]
