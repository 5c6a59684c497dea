"""``power-bert ablation``: the three word selections re-trained from one fine-tuned model
at one retention configuration, benchmarked together; resumable; clear errors."""
import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from power_bert import cli, synthetic
from power_bert.backend import keras
from power_bert.checkpoint import StageCheckpoint, file_sha256
from power_bert.config import BertConfig

from helpers.tiny import demo_config, write_vocab

RETENTION = "12,6"  # one entry per encoder of the 2-layer BERT below


@pytest.fixture(scope="module")
def finetuned(tmp_path_factory):
    """A finetune-stage checkpoint of a tiny random BERT (demo task), demo data and vocab."""
    root = tmp_path_factory.mktemp("ablation")
    keras.utils.set_random_seed(0)
    write_vocab(root / "vocab.txt", synthetic.vocabulary())
    config = BertConfig.from_dict(demo_config(num_hidden_layers=2))
    checkpoint = StageCheckpoint(config=config, task="demo", num_labels=2, seq_len=24,
                                 mode="finetune", epoch=1)
    checkpoint.save(checkpoint.build(), str(root), "finetune")
    data = root / "data"
    synthetic.write_data(str(data), seed=1, sizes={"train": 16, "dev": 8, "test": 4})
    return root


def _weights(path: Path):
    """Every array of a Keras HDF5 weights file, by its path in the file."""
    arrays = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, item: arrays.__setitem__(name, item[()])
                     if isinstance(item, h5py.Dataset) else None)
    return arrays


def _argv(root: Path, out: Path, *extra):
    return ["ablation", "--TASK", "demo", "--DATA_DIR", str(root / "data"), "--VOCAB_PATH",
            str(root / "vocab.txt"), "--FINETUNED_CHECKPOINT", str(root / "finetune.hdf5"),
            "--OUTPUT_DIR", str(out), "--VERBOSE", "0", *extra]


@pytest.mark.slow
def test_three_selections_side_by_side_and_resumed(finetuned, capsys):
    out = finetuned / "out"
    argv = _argv(finetuned, out, "--RETENTION_CONFIG", RETENTION, "--EPOCH", "1",
                 "--BATCH_SIZE", "8", "--LR_BERT", "1e-3", "--RUNS", "1", "--PADDING", "fixed")
    assert cli.main(argv) == 0
    state = json.loads((out / "ablation.json").read_text())
    rows = state["summary"]["rows"]
    assert [r["word_selection"] for r in rows] == ["baseline", "attention", "head", "random"]
    weights = {}
    for row in rows[1:]:
        checkpoint = StageCheckpoint.load(str(out / row["word_selection"] / "retrain.hdf5"))
        assert checkpoint.mode == "retrain" and checkpoint.retention_configuration == (12, 6)
        assert (checkpoint.word_selection, checkpoint.selection_seed) == (row["word_selection"], 42)
        # the benchmark's metric (fixed padding) is the metric the re-training kept
        assert row["metric"] == round(100 * checkpoint.dev_metrics["accuracy"], 2)
        assert state["finished"][row["word_selection"]] == checkpoint.weights_sha256
        weights[row["word_selection"]] = file_sha256(checkpoint.weights_path)
    assert rows[0]["speedup"] == 1.0 and all(r["ideal_speedup"] > 1 for r in rows[1:])
    # the strategies kept other words, so training moved the weights differently
    arrays = {s: _weights(out / s / "retrain.hdf5") for s in weights}
    for other in ("head", "random"):
        assert any(not np.array_equal(arrays["attention"][k], arrays[other][k])
                   for k in arrays["attention"])
    table = (out / "ablation.md").read_text()
    assert "| fixed | head |" in table and "| fixed | random |" in table
    assert (out / "benchmark.json").exists() and (out / "plot.png").exists()
    capsys.readouterr()
    # Run again: nothing is redone, the models stay as they were.
    assert cli.main(argv) == 0
    printed = capsys.readouterr().out
    assert "this ablation finished earlier" in printed and table in printed
    for selection in weights:
        assert file_sha256(str(out / selection / "retrain.hdf5")) == weights[selection]
    # Other settings into the same folder are refused.
    argv[argv.index(RETENTION)] = "12,5"
    assert cli.main(argv) == 2
    assert "holds an ablation with other settings" in capsys.readouterr().err


@pytest.mark.parametrize("extra, message", [
    ([], "--RETENTION_CONFIG is required"),
    (["--RETENTION_CONFIG", "12,6,3"], "--RETENTION_CONFIG: "),
    (["--RETENTION_CONFIG", "12,x"], "not a comma-separated list of integers"),
    (["--RETENTION_CONFIG", RETENTION, "--RUNS", "0"], "--RUNS must be at least 1, got 0"),
])
def test_errors_before_anything_is_written(finetuned, capsys, extra, message):
    out = finetuned / "bad"
    assert cli.main(_argv(finetuned, out, *extra)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert not out.exists()
