"""TensorBoard summaries of a training run (``power_bert.summaries``): after a tiny
three-stage run the event files under ``<run>/tensorboard/<stage>/`` hold, per epoch,
the training loss, the dev metrics, the learning rates and, in the search, every
encoder's mass and l_j; the values are those the run recorded elsewhere."""
import json

import pytest

from power_bert import synthetic
from power_bert.summaries import read_scalars, summary_dir
from power_bert.training import WarmupLinearDecay, train_steps

from helpers.runs import flags
from helpers.tiny import make_bert

EPOCHS, BATCH, TRAIN = 2, 16, 32
LR_BERT, LR_SOFT = 1e-3, 0.2


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    import main as cli
    root = tmp_path_factory.mktemp("summaries")
    bert = make_bert(root / "bert")
    data = root / "data"
    synthetic.write_data(str(data), seed=1, sizes={"train": TRAIN, "dev": 16, "test": 8})
    out = root / "out"
    assert cli.main(flags(bert, data, out, "--EPOCH", str(EPOCHS), "--BATCH_SIZE", str(BATCH),
                          "--LR_BERT", str(LR_BERT), "--LR_SOFT_EXTRACT", str(LR_SOFT),
                          "--LAMBDA", "0.05")) == 0
    run_dir = (out / "latest").resolve()
    results = json.loads((run_dir / "results.json").read_text())
    scalars = {stage: read_scalars(summary_dir(str(run_dir), stage))
               for stage in ("finetune", "search", "retrain")}
    return results, scalars


def _rate(peak, epoch):
    total, warmup = train_steps(TRAIN, BATCH, EPOCHS)
    last = total // EPOCHS * epoch - 1  # the step of the epoch's last update (0-based)
    return float(WarmupLinearDecay(peak, total, warmup)(last))


@pytest.mark.slow
def test_every_stage_logs_loss_dev_metrics_and_learning_rate(run):
    results, scalars = run
    for stage, logged in scalars.items():
        for tag in ("train/loss", "dev/accuracy", "learning_rate/bert"):
            assert sorted(logged[tag]) == list(range(1, EPOCHS + 1)), (stage, tag)
        for epoch in range(1, EPOCHS + 1):
            assert logged["learning_rate/bert"][epoch] == pytest.approx(_rate(LR_BERT, epoch))
    assert "learning_rate/soft_extract" not in scalars["finetune"]
    assert not any(tag.startswith("search/") for tag in scalars["retrain"])
    kept = results["baseline"]  # the fine-tuned epoch kept: its dev metrics were logged
    assert scalars["finetune"]["dev/accuracy"][kept["epoch"]] == pytest.approx(
        kept["dev_metrics"]["accuracy"])


@pytest.mark.slow
def test_search_logs_masses_and_retention_of_every_encoder(run):
    results, scalars = run
    logged, search = scalars["search"], results["search"]
    masses = [logged["search/mass/encoder_%d" % j][EPOCHS] for j in (1, 2, 3)]
    assert masses == pytest.approx(search["masses"], abs=1e-5)
    retention = [logged["search/retention/encoder_%d" % j][EPOCHS] for j in (1, 2, 3)]
    assert retention == results["retention_configuration"]
    assert [logged["dev/accuracy"][e] for e in range(1, EPOCHS + 1)] == pytest.approx(
        [h["accuracy"] for h in search["history"]])
    for epoch in range(1, EPOCHS + 1):
        assert logged["learning_rate/soft_extract"][epoch] == pytest.approx(
            _rate(LR_SOFT, epoch))
        assert logged["train/mass_loss"][epoch] > 0
        assert logged["search/mass/encoder_1"][epoch] >= logged["search/mass/encoder_3"][epoch]
