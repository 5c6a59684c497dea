"""The inference benchmark CLI end to end on tiny checkpoints (power_bert.benchmark).

Timings are not checked against each other: they are noisy, and the claim that
PoWER-BERT is faster comes from running the benchmark, not from a unit test.
"""
import json
import os

import numpy as np
import pytest

import power_bert  # noqa: F401  (Keras 2 before TensorFlow)
from power_bert import benchmark, checkpoint, flops, padding, synthetic
from power_bert.backend import keras
from power_bert.config import BertConfig
from power_bert.data import DataParser
from power_bert.model import build_model

SEQ_LEN = 64  # the demo task's length; sentences are 12-60 word pieces
RETENTION = [20, 8]
BATCH = 8
NUM_DEV = 20


def _meta(config, vocab_path, mode, retention, task="demo"):
    """As Pipeline._meta writes it."""
    return {"bert_config": config.to_dict(), "task": task, "num_labels": 2, "seq_len": SEQ_LEN,
            "mode": mode, "retention_configuration": retention, "cased": False,
            "vocab_path": os.path.abspath(vocab_path)}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    data_dir = str(root / "data")
    synthetic.write_data(data_dir, seed=3, sizes={"train": 4, "dev": NUM_DEV, "test": 4})
    vocab_path = str(root / "vocab.txt")
    with open(vocab_path, "w", encoding="utf-8") as f:
        f.write("\n".join(synthetic.vocabulary()) + "\n")
    config = BertConfig(vocab_size=len(synthetic.vocabulary()), hidden_size=16,
                        num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
                        max_position_embeddings=SEQ_LEN, initializer_range=0.5)
    # (large initial weights: class probabilities far from ties, so float rounding
    # between the paddings cannot flip a prediction)
    for folder in ("out", "other", "sst"):
        (root / folder).mkdir()
    keras.utils.set_random_seed(0)
    finetune = build_model(config, 2, SEQ_LEN, "finetune")
    checkpoint.save_stage(finetune, str(root / "out"), "finetune",
                          _meta(config, vocab_path, "finetune", None))
    retrain = build_model(config, 2, SEQ_LEN, "retrain", RETENTION)
    retrain.set_weights(finetune.get_weights())
    checkpoint.save_stage(retrain, str(root / "out"), "retrain",
                          _meta(config, vocab_path, "retrain", RETENTION))
    other = build_model(config, 2, SEQ_LEN, "retrain", [4, 2])
    other.set_weights(finetune.get_weights())
    checkpoint.save_stage(other, str(root / "other"), "retrain",
                          _meta(config, vocab_path, "retrain", [4, 2]))
    checkpoint.save_stage(retrain, str(root / "sst"), "retrain",
                          _meta(config, vocab_path, "retrain", RETENTION, task="sst-2"))
    keras.backend.clear_session()
    return {"root": root, "data_dir": data_dir, "vocab": vocab_path, "config": config,
            "baseline": str(root / "out" / "finetune.hdf5"),
            "power": str(root / "out" / "retrain.hdf5"),
            "other": str(root / "other" / "retrain.hdf5"),
            "sst": str(root / "sst" / "retrain.hdf5")}


def _argv(setup, *extra, baseline=None, power=None):
    return ["--BASELINE", baseline or setup["baseline"], "--POWER", power or setup["power"],
            "--TASK", "demo", "--DATA_DIR", setup["data_dir"], "--VOCAB_PATH", setup["vocab"],
            "--BATCH_SIZE", str(BATCH), "--RUNS", "2", "--VERBOSE", "0"] + list(extra)


@pytest.fixture(scope="module")
def both_run(setup):
    out = setup["root"] / "results"
    code = benchmark.main(_argv(setup, "--PADDING", "both", "--OUTPUT",
                                str(out / "benchmark.json"), "--PLOT", str(out / "plot.png"),
                                "--EXTRA", "lambda_big=%s" % setup["other"]))
    assert code == 0
    with open(out / "benchmark.json", encoding="utf-8") as f:
        return json.load(f), out


def _dev_inputs(setup):
    parser = DataParser(setup["vocab"], "demo", setup["data_dir"], max_seq_len=SEQ_LEN)
    return parser.get_dev_data()


def _check_model_entry(entry, checkpoint_path, runs=2):
    for key in ("metric_name", "metric", "seconds_per_example", "all_times",
                "word_vectors_per_example", "checkpoint", "speedup", "ideal_speedup"):
        assert key in entry, key
    assert entry["metric_name"] == "accuracy"
    assert 0.0 <= entry["metric"] <= 100.0
    assert entry["seconds_per_example"] > 0
    assert len(entry["all_times"]) == runs and all(t > 0 for t in entry["all_times"])
    assert entry["seconds_per_example"] == pytest.approx(np.median(entry["all_times"]) / NUM_DEV)
    assert entry["checkpoint"] == os.path.abspath(checkpoint_path)
    assert entry["speedup"] > 0


@pytest.mark.slow
def test_json_has_every_field_with_sane_values(setup, both_run):
    result, _ = both_run
    config = setup["config"].to_dict()
    for key in ("task", "batch_size", "padding", "speedup", "ideal_speedup", "num_examples",
                "runs", "xla", "machine", "baseline", "power_bert", "retention_configuration"):
        assert key in result, key
    assert result["task"] == "demo" and result["batch_size"] == BATCH
    assert result["num_examples"] == NUM_DEV and result["xla"] is False
    assert result["retention_configuration"] == RETENTION
    assert result["padding"] == "fixed" and result["speedup"] > 0
    assert result["ideal_speedup"] == pytest.approx(flops.ideal_speedup(config, SEQ_LEN, RETENTION))
    for key in ("platform", "cpu_count", "tensorflow", "devices"):
        assert key in result["machine"]
    assert [run["padding"] for run in result["runs"]] == ["fixed", "dynamic"]
    fixed = result["runs"][0]
    assert fixed["speedup"] == result["speedup"]
    _check_model_entry(result["baseline"], setup["baseline"])
    _check_model_entry(result["power_bert"], setup["power"])
    assert result["baseline"]["word_vectors_per_example"] == 2 * SEQ_LEN
    assert result["power_bert"]["word_vectors_per_example"] == \
        flops.word_vectors_processed(SEQ_LEN, RETENTION)
    assert result["baseline"]["ideal_speedup"] == pytest.approx(1.0)
    extra = fixed["extra"]["lambda_big"]
    _check_model_entry(extra, setup["other"])
    assert extra["ideal_speedup"] == pytest.approx(flops.ideal_speedup(config, SEQ_LEN, [4, 2]))


@pytest.mark.slow
def test_dynamic_padding_counts_each_example_at_its_batch_length(setup, both_run):
    result, _ = both_run
    dynamic = result["runs"][1]
    x, _ = _dev_inputs(setup)
    lengths = padding.batch_lengths(x, BATCH, dynamic=True)
    assert dynamic["batch_lengths"] == lengths and max(lengths) < SEQ_LEN
    sizes = [min(BATCH, NUM_DEV - start) for start in range(0, NUM_DEV, BATCH)]
    config = setup["config"].to_dict()
    base_vectors = sum(n * 2 * t for n, t in zip(sizes, lengths)) / NUM_DEV
    power_vectors = sum(n * sum(min(l, t) for l in RETENTION)
                        for n, t in zip(sizes, lengths)) / NUM_DEV
    assert dynamic["baseline"]["word_vectors_per_example"] == pytest.approx(base_vectors)
    assert dynamic["power_bert"]["word_vectors_per_example"] == pytest.approx(power_vectors)
    base_macs = sum(n * flops.encoder_macs(config, t)["total"] for n, t in zip(sizes, lengths))
    power_macs = sum(n * flops.encoder_macs(config, t, [min(l, t) for l in RETENTION])["total"]
                     for n, t in zip(sizes, lengths))
    assert dynamic["ideal_speedup"] == pytest.approx(base_macs / power_macs)
    # Same predictions whatever the padding, so the same metric.
    for name in ("baseline", "power_bert"):
        assert dynamic[name]["metric"] == result["runs"][0][name]["metric"]


@pytest.mark.slow
def test_markdown_table_and_plot_are_written(both_run):
    _, out = both_run
    table = (out / "benchmark.md").read_text(encoding="utf-8")
    rows = [line for line in table.splitlines() if line.startswith("| fixed")
            or line.startswith("| dynamic")]
    assert len(rows) == 6  # 3 models x 2 paddings
    assert "PoWER-BERT" in table and "lambda_big" in table
    with open(out / "plot.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_models_of_different_tasks_are_refused(setup, capsys, tmp_path):
    code = benchmark.main(_argv(setup, "--OUTPUT", str(tmp_path / "b.json"), power=setup["sst"]))
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: ") and len(err.splitlines()) == 1
    assert "same task" in err and "demo" in err and "sst-2" in err
    assert not (tmp_path / "b.json").exists()


def test_missing_checkpoint_is_an_error(setup, capsys, tmp_path):
    missing = str(tmp_path / "nowhere" / "finetune.hdf5")
    code = benchmark.main(_argv(setup, baseline=missing))
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith("error: ") and "not found" in err and missing in err


def _exit_code(argv):
    """main()'s return value, or the status of an argparse exit."""
    try:
        return benchmark.main(argv)
    except SystemExit as e:
        return e.code


@pytest.mark.parametrize("flags,message", [
    (["--RUNS", "0"], "--RUNS"),
    (["--EXTRA", "no_equals_sign"], "NAME=PATH"),
    (["--EXTRA", "lambda1e-3,lrs1e-2=x.hdf5"], "may hold only letters"),
    (["--PADDING", "sometimes"], "--PADDING"),
])
def test_bad_flags_exit_2(setup, capsys, flags, message):
    assert _exit_code(_argv(setup, *flags)) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and len(err.splitlines()) == 1
