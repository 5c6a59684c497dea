"""``power-bert benchmark --BERT_CONFIG_PATH``: timing at a model's shape with random weights
and synthetic token ids (``power_bert.benchmark.shapes``) and its committed results at
the paper's sizes."""
import functools
import glob
import json
import os

import numpy as np
import pytest

from power_bert import flops
from power_bert.benchmark import shapes
from power_bert.config import BertConfig, write_bert_config

from helpers.cli import exit_code, one_error_line
from helpers.tiny import tiny_config

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAPER = os.path.join(REPO, "benchmarks", "results", "paper-shapes")


@pytest.fixture(scope="module")
def config_path(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("shape") / "bert_config.json")
    write_bert_config(tiny_config(), path)
    return path


_exit_code = functools.partial(exit_code, "benchmark")


def _argv(config_path, *extra):
    return ["--BERT_CONFIG_PATH", config_path, "--RETENTION_CONFIG", "20,12,4", "--SEQ_LEN", "32",
            "--NUM_EXAMPLES", "18", "--BATCH_SIZE", "8", "--RUNS", "2",
            "--VERBOSE", "0", "--XLA", "false"] + list(extra)  # (XLA: a compilation per shape)


def test_synthetic_inputs_have_the_lengths_asked_for():
    tokens, segments = shapes.synthetic_inputs(50, 32, (5, 20), vocab_size=30, seed=1)
    assert tokens.shape == segments.shape == (50, 32) and tokens.dtype == np.int32
    real = (tokens != 0).sum(axis=1)
    assert real.min() >= 5 and real.max() <= 20 and len(set(real)) > 5
    for row, length in zip(tokens, real):  # real ids first, padding after
        assert (row[:length] > 0).all() and (row[length:] == 0).all() and row.max() < 30
    assert (segments[tokens == 0] == 0).all() and segments.sum() > 0
    full, _ = shapes.synthetic_inputs(4, 32, None, vocab_size=30, seed=1)
    assert (full != 0).all()
    again, _ = shapes.synthetic_inputs(50, 32, (5, 20), vocab_size=30, seed=1)
    assert (again == tokens).all()  # seeded


@pytest.mark.slow
def test_shape_benchmark_writes_timings_and_ideal_speedups(config_path, tmp_path, capsys):
    output = tmp_path / "out" / "benchmark.json"
    assert _exit_code(_argv(config_path, "--LENGTHS", "4-24", "--PADDING", "both",
                            "--OUTPUT", str(output))) == 0
    printed = capsys.readouterr().out
    assert "timing only, random weights" in printed
    result = json.loads(output.read_text())
    assert result["timing_only"] is True and result["note"] == "timing only, random weights"
    assert result["retention_configuration"] == [20, 12, 4] and result["seq_len"] == 32
    assert result["lengths"] == "4-24" and result["num_examples"] == 18
    fixed, dynamic = result["runs"]
    assert (fixed["padding"], dynamic["padding"]) == ("fixed", "dynamic")
    config = BertConfig.from_json_file(config_path).to_dict()
    assert fixed["ideal_speedup"] == pytest.approx(flops.ideal_speedup(config, 32, [20, 12, 4]))
    assert fixed["power_bert"]["word_vectors_per_example"] == 36
    assert fixed["baseline"]["word_vectors_per_example"] == 96
    assert max(dynamic["batch_lengths"]) <= 24 and dynamic["average_batch_length"] < 32
    # dynamic: each batch of length T_b keeps min(l_j, T_b)
    assert dynamic["ideal_speedup"] < fixed["ideal_speedup"]
    for run in (fixed, dynamic):
        for name in ("baseline", "power_bert"):
            entry = run[name]
            assert len(entry["all_times"]) == 2 and entry["seconds_per_example"] > 0
            assert entry["speedup_over_ideal"] == pytest.approx(
                entry["speedup"] / entry["ideal_speedup"])
    table = (tmp_path / "out" / "benchmark.md").read_text()
    assert table.startswith("Timing only, random weights")
    assert "| dynamic, sorted by length | PoWER-BERT |" in table  # as eval and predict batch


@pytest.mark.slow
def test_shape_benchmark_builds_its_models_under_the_inference_policy(
        config_path, tmp_path, monkeypatch):
    built = []

    def build_models(shape, dynamic):
        models = real_build_models(shape, dynamic)
        built.extend(model.dtype_policy.name for _, model in models)
        return models

    real_build_models = shapes.build_models
    monkeypatch.setattr(shapes, "build_models", build_models)
    output = tmp_path / "benchmark.json"
    argv = _argv(config_path, "--MIXED_PRECISION", "BFloat16", "--OUTPUT", str(output))
    for flag, value in (("--NUM_EXAMPLES", "2"), ("--BATCH_SIZE", "2"), ("--RUNS", "1")):
        argv[argv.index(flag) + 1] = value  # the smallest run: the policy is what counts
    assert _exit_code(argv + ["--WARMUP", "0"]) == 0
    assert built == ["bfloat16", "bfloat16"]  # half variables: inference only
    result = json.loads(output.read_text())
    assert result["mixed_precision"] == "bfloat16" and result["runs"][0]["speedup"] > 0
    assert ", mixed precision bfloat16;" in (tmp_path / "benchmark.md").read_text()
    from power_bert.backend import keras
    assert keras.mixed_precision.global_policy().name == "float32"  # restored afterwards


@pytest.mark.parametrize("flags,message", [
    (["--DATA_DIR", "."], "--DATA_DIR is for benchmarking checkpoints"),
    (["--BASELINE", "f.hdf5"], "--BASELINE is for benchmarking checkpoints"),
    (["--LENGTHS", "10-40"], "--LENGTHS 10-40: need 1 <= MIN <= MAX <= --SEQ_LEN (32)"),
    (["--LENGTHS", "short"], "--LENGTHS must be full or MIN-MAX"),
    (["--NUM_EXAMPLES", "0"], "--NUM_EXAMPLES must be at least 1"),
    (["--SEQ_LEN", "65"], "--SEQ_LEN must be in [1, 64]"),
    (["--RETENTION_CONFIG", "20,12"], "--RETENTION_CONFIG"),
    (["--RETENTION_CONFIG", "20,24,4"], "--RETENTION_CONFIG"),
    (["--RUNS", "0"], "--RUNS must be at least 1"),
    (["--MIXED_PRECISION", "half"], "argument --MIXED_PRECISION: invalid choice: 'half'"),
])
def test_bad_shape_flags_exit_2(config_path, tmp_path, capsys, monkeypatch, flags, message):
    monkeypatch.chdir(tmp_path)
    argv = _argv(config_path)
    if flags[0] in argv:  # replace the value
        argv[argv.index(flags[0]) + 1] = flags[1]
    else:
        argv += flags
    assert _exit_code(argv) == 2
    assert message in one_error_line(capsys.readouterr().err)
    assert os.listdir(tmp_path) == []


def test_shape_flags_need_bert_config(tmp_path, capsys):
    assert _exit_code(["--BASELINE", "a.hdf5", "--POWER", "b.hdf5", "--DATA_DIR", ".",
                       "--RETENTION_CONFIG", "4,2"]) == 2
    assert "--RETENTION_CONFIG is for timing at a shape" in capsys.readouterr().err
    assert _exit_code(["--POWER", "b.hdf5"]) == 2
    assert "--BASELINE is required (or time random-weight models" in capsys.readouterr().err
    assert _exit_code(["--BERT_CONFIG_PATH", str(tmp_path / "none.json"),
                       "--RETENTION_CONFIG", "4,2"]) == 2
    assert "--BERT_CONFIG_PATH: " in capsys.readouterr().err


def test_committed_paper_shape_results_are_consistent():
    """Each committed result's ideal speed-up is the MAC count of its shape."""
    paths = sorted(glob.glob(os.path.join(PAPER, "*", "benchmark.json")))
    if not paths:
        pytest.skip("no results under benchmarks/results/paper-shapes yet")
    for path in paths:
        with open(path, encoding="utf-8") as f:
            result = json.load(f)
        assert result["timing_only"] and result["note"] == "timing only, random weights"
        fixed = [run for run in result["runs"] if run["padding"] == "fixed"][0]
        assert fixed["ideal_speedup"] == pytest.approx(flops.ideal_speedup(
            result["bert_config"], result["seq_len"], result["retention_configuration"]))
        assert os.path.exists(path[:-len(".json")] + ".md")
