"""The stage table's wiring: which weights each stage starts from, which epoch it keeps.

Each test runs the real pipeline on a tiny BERT and watches it through two spies: the
weights a model holds when a stage starts training (``pipeline.run_stage``) and after
every epoch (``training.fit``'s epoch handler). The dev metric is scripted so that the
best epoch is known and is not the last one.
"""
import dataclasses
import json
import math
from pathlib import Path
from types import SimpleNamespace

import h5py
import numpy as np
import pytest

from power_bert import pipeline, stages, synthetic, training
from power_bert.options import Options, result_options
from power_bert.outputs import RunRecord, fingerprint
from power_bert.stages import USEFUL_DROP, search_reach_report, select_best
from power_bert.tasks import get_task

from helpers.runs import flags
from helpers.tiny import make_bert

WATCHED = ("Encoder-1-FeedForward", "Output")  # layers whose weights the spies compare


def snapshot(model):
    return {name: [w.copy() for w in model.get_layer(name).get_weights()] for name in WATCHED}


def saved_weights(path: Path):
    """Weights of the watched layers in a Keras HDF5 weights file."""
    with h5py.File(path, "r") as f:
        out = {}
        for name in WATCHED:
            group = f[name]
            names = [n.decode() if isinstance(n, bytes) else n
                     for n in group.attrs["weight_names"]]
            out[name] = [np.asarray(group[n]) for n in names]
    return out


def same(a, b) -> bool:
    return all(np.array_equal(x, y) for name in WATCHED for x, y in zip(a[name], b[name]))


@pytest.fixture(scope="module")
def spied_run(tmp_path_factory):
    """One three-stage run, 3 epochs a stage, with a scripted dev metric whose best epoch is
    the 2nd in fine-tuning and re-training."""
    root = tmp_path_factory.mktemp("stages")
    bert = make_bert(root / "bert")
    data = root / "data"
    synthetic.write_data(str(data), seed=3, sizes={"train": 48, "dev": 16, "test": 8})
    out = root / "out"
    scripted = {"finetune": [0.50, 0.75, 0.60], "search": [0.5, 0.5, 0.5],
                "retrain": [0.55, 0.70, 0.65]}
    starts, epochs, current = {}, [], {}
    real_run_stage, real_fit = stages.run_stage, training.fit

    def run_stage(ctx, stage, checkpoint, model):
        starts[stage.name] = snapshot(model)
        current["stage"] = stage.name
        real_evaluate = ctx.evaluate

        def evaluate(m):
            real_evaluate(m)  # the real inference path still runs
            index = sum(1 for s, _, _ in epochs if s == stage.name)
            return {"accuracy": scripted[stage.name][index]}
        return real_run_stage(dataclasses.replace(ctx, evaluate=evaluate), stage, checkpoint, model)

    def fit(model, x, y, n, batch_size, seed, on_epoch_end, *args, **kwargs):
        def handler(epoch, logs):
            on_epoch_end(epoch, logs)
            epochs.append((current["stage"], epoch, snapshot(model)))
        return real_fit(model, x, y, n, batch_size, seed, handler, *args, **kwargs)

    patch = pytest.MonkeyPatch()
    patch.setattr(pipeline, "run_stage", run_stage)
    patch.setattr(stages.training, "fit", fit)
    try:
        import main as cli
        assert cli.main(flags(bert, data, out, "--EPOCH", "3", "--BATCH_SIZE", "8",
                              "--LR_BERT", "2e-3", "--LR_SOFT_EXTRACT", "0.1",
                              "--LAMBDA", "0.01")) == 0
    finally:
        patch.undo()
    by_epoch = {(s, e): w for s, e, w in epochs}
    return {"out": out, "starts": starts, "epochs": by_epoch}


def test_select_best_takes_the_highest_and_the_earliest_on_ties():
    history = [{"f1": 0.5}, {"f1": 0.8}, {"f1": 0.8}, {"f1": 0.7}]
    assert select_best(history, "f1") == 1
    assert select_best([{"mcc": float("nan")}, {"mcc": -0.2}], "mcc") == 1
    assert select_best([{"mcc": 0.1}], "mcc") == 0
    with pytest.raises(ValueError, match="no 'f1' metric"):
        select_best([{"accuracy": 0.5}], "f1")


@pytest.mark.slow
def test_fine_tuning_and_retraining_keep_the_best_epoch_not_the_last(spied_run):
    out, epochs = spied_run["out"], spied_run["epochs"]
    for stage in ("finetune", "retrain"):
        meta = json.loads((out / (stage + ".json")).read_text())
        assert meta["epoch"] == 2, stage
        assert meta["dev_metrics"]["accuracy"] == pytest.approx(0.75 if stage == "finetune"
                                                                else 0.70)
        kept = saved_weights(out / (stage + ".hdf5"))
        assert same(kept, epochs[(stage, 2)]), stage
        assert not same(kept, epochs[(stage, 3)]), stage  # training moved the weights on
    results = json.loads((out / "results.json").read_text())
    assert results["baseline"]["epoch"] == 2 and results["power_bert"]["epoch"] == 2
    assert [h["accuracy"] for h in results["baseline"]["history"]] == [0.5, 0.75]


@pytest.mark.slow
def test_search_keeps_its_last_epoch(spied_run):
    out, epochs = spied_run["out"], spied_run["epochs"]
    assert json.loads((out / "search.json").read_text())["epoch"] == 3
    assert same(saved_weights(out / "search.hdf5"), epochs[("search", 3)])


@pytest.mark.slow
def test_the_search_states_its_reach_before_it_starts(spied_run):
    log = (spied_run["out"] / "log.txt").read_text()
    # 48 examples, batch 8, 3 epochs, LR_SOFT_EXTRACT 0.1: 18 steps, 1 of warm-up
    reach = log.index("search reach: a retention parameter can drop by at most %.3g over 18 "
                      "steps (LR_SOFT_EXTRACT 0.1, EPOCH 3, 6 steps an epoch)"
                      % training.search_reach(0.1, 18, 1))
    assert log.index("[2/3] search") < reach < log.index("search epoch 1/3")
    assert "warning: the search cannot" not in log
    results = json.loads((spied_run["out"] / "results.json").read_text())
    assert results["search_reach"]["steps"] == 18 and "warning" not in results["search_reach"]


@pytest.mark.slow
def test_each_stage_starts_from_the_weights_the_table_names(spied_run):
    out, starts = spied_run["out"], spied_run["starts"]
    finetuned = saved_weights(out / "finetune.hdf5")
    searched = saved_weights(out / "search.hdf5")
    assert not same(finetuned, searched)  # the search trained the BERT weights too
    assert same(starts["search"], finetuned)
    assert same(starts["retrain"], searched)
    assert not same(starts["retrain"], finetuned)


def search_options(lr_soft_extract, epochs, batch_size, search_epochs=None):
    return Options(task="rte", output_dir="unused", lr_soft_extract=lr_soft_extract,
                   epochs=epochs, batch_size=batch_size, search_epochs=search_epochs)


def test_search_reach_is_stated_without_a_warning_when_the_search_can_reach():
    # 640 examples, batch 32, 2 epochs: 40 steps, 4 of warm-up; 0.05 x (1.5 + 16.65)
    entry, lines = search_reach_report(search_options(0.05, 2, 32), 640, seq_len=64)
    assert lines == ["search reach: a retention parameter can drop by at most 0.907 over 40 "
                     "steps (LR_SOFT_EXTRACT 0.05, EPOCH 2, 20 steps an epoch)"]
    assert entry["max_drop"] == pytest.approx(0.9075) and entry["steps"] == 40
    assert "warning" not in entry


def test_a_search_that_cannot_reach_warns_with_the_flags_to_raise():
    # RTE's 600 examples, batch 32, 1 epoch, its LR_SOFT_EXTRACT: 19 steps, 1 of warm-up
    lr = get_task("rte").reference.lr_soft_extract
    entry, lines = search_reach_report(search_options(lr, 1, 32), 600, seq_len=256)
    drop = lr * sum(range(1, 19)) / 19  # 0, then lr * 18/19, ..., lr * 1/19
    assert entry["max_drop"] == pytest.approx(drop) and drop < USEFUL_DROP
    assert lines[0].startswith("search reach: a retention parameter can drop by at most "
                               "%.3g over 19 steps (LR_SOFT_EXTRACT %g, EPOCH 1" % (drop, lr))
    assert len(lines) == 2 and lines[1] == "warning: " + entry["warning"]
    warning = entry["warning"]
    assert "below about %.2f" % (1 - drop) in warning
    assert "at least about %d of 256 word vectors" % int((1 - drop) * 256) in warning
    factor, raised_lr = 0.5 / drop, float(warning.split("(to ")[1].split(")")[0])
    assert "--LR_SOFT_EXTRACT by at least %g " % (math.ceil(factor)) in warning  # 18.5 -> 19
    assert raised_lr >= lr * factor
    assert training.search_reach(raised_lr, 19, 1) >= USEFUL_DROP
    epochs = int(warning.split("--SEARCH_EPOCHS ")[1].split(" ")[0])
    assert "--SEARCH_EPOCHS %d (the search's epochs, now 1; fine-tuning and re-training " \
        "keep --EPOCH)" % epochs in warning
    reach = [training.search_reach(lr, *training.train_steps(600, 32, e))
             for e in (epochs - 1, epochs)]
    assert reach[0] < USEFUL_DROP <= reach[1]  # the fewest epochs that reach
    # the suggested SEARCH_EPOCHS silences the warning, and the line names the flag
    entry, lines = search_reach_report(search_options(lr, 1, 32, search_epochs=epochs), 600,
                                       seq_len=256)
    assert lines == ["search reach: a retention parameter can drop by at most %.3g over %d "
                     "steps (LR_SOFT_EXTRACT %g, SEARCH_EPOCHS %d, 19 steps an epoch)"
                     % (reach[1], 19 * epochs, lr, epochs)]
    assert entry["epochs"] == epochs and "warning" not in entry


def test_the_pipeline_logs_and_records_the_search_reach(tmp_path):
    run = pipeline.Pipeline.__new__(pipeline.Pipeline)  # (no options to validate)
    run.o, run.record = search_options(3e-3, 1, 32), RunRecord(str(tmp_path))
    ctx = SimpleNamespace(train=(None, np.zeros(600)), template=SimpleNamespace(seq_len=256))
    run._log_search_reach(ctx)
    log = (tmp_path / "log.txt").read_text()
    assert "search reach: a retention parameter can drop by at most 0.027 over 19 steps" in log
    assert "warning: the search cannot take any retention parameter below" in log
    recorded = json.loads((tmp_path / "results.json").read_text())["search_reach"]
    assert recorded["steps"] == 19 and "--LR_SOFT_EXTRACT" in recorded["warning"]


def test_search_epochs_join_the_fingerprint_only_when_they_differ_from_epoch():
    def digest(**given):
        o = Options(task="mrpc", output_dir="x", epochs=3, batch_size=32, lr_bert=6e-5,
                    lr_soft_extract=1e-2, lambda_=2e-3, seed=1, dynamic_padding=True,
                    tune_fraction=0.2, tune_seed=0, **given)
        return fingerprint(result_options(o), {"vocab": "abc"})
    # the fingerprint of these options before --SEARCH_EPOCHS existed: such a run resumes
    assert digest() == digest(search_epochs=3) == "880432345f"
    assert digest(search_epochs=5) != digest()
