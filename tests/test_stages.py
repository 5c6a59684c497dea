"""The stage table's wiring: which weights each stage starts from, which epoch it keeps.

Each test runs the real pipeline on a tiny BERT and watches it through two spies: the
weights a model holds when a stage starts training (``pipeline.run_stage``) and after
every epoch (``training.fit``'s epoch handler). The dev metric is scripted so that the
best epoch is known and is not the last one.
"""
import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from power_bert import pipeline, stages, synthetic, training
from power_bert.stages import select_best

from test_pipeline import flags, make_bert

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

    def run_stage(ctx, stage, spec, model):
        starts[stage.name] = snapshot(model)
        current["stage"] = stage.name
        real_evaluate = ctx.evaluate

        def evaluate(m):
            real_evaluate(m)  # the real inference path still runs
            index = sum(1 for s, _, _ in epochs if s == stage.name)
            return {"accuracy": scripted[stage.name][index]}
        ctx.evaluate = evaluate
        try:
            return real_run_stage(ctx, stage, spec, model)
        finally:
            ctx.evaluate = real_evaluate

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
def test_each_stage_starts_from_the_weights_the_table_names(spied_run):
    out, starts = spied_run["out"], spied_run["starts"]
    finetuned = saved_weights(out / "finetune.hdf5")
    searched = saved_weights(out / "search.hdf5")
    assert not same(finetuned, searched)  # the search trained the BERT weights too
    assert same(starts["search"], finetuned)
    assert same(starts["retrain"], searched)
    assert not same(starts["retrain"], finetuned)
