"""End to end: the three stages from main.py on a tiny BERT and the demo data layout,
evaluation/prediction of the saved models, and the errors a user sees."""
import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from power_bert import synthetic
from power_bert.google_ckpt import random_bert_variables, write_checkpoint

import main as cli

from helpers.runs import ROOT, flags
from helpers.tiny import TINY_CONFIG, demo_config, make_bert

LAYERS = TINY_CONFIG["num_hidden_layers"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One full run of the three stages (1 epoch each) shared by the tests below."""
    root = tmp_path_factory.mktemp("pipeline")
    bert = make_bert(root / "bert")
    data = root / "data"
    synthetic.write_data(str(data), seed=1, sizes={"train": 96, "dev": 40, "test": 24})
    out = root / "out"
    rc = cli.main(flags(bert, data, out, "--EPOCH", "1", "--BATCH_SIZE", "16", "--LR_BERT",
                        "1e-3", "--LR_SOFT_EXTRACT", "0.2", "--LAMBDA", "0.05"))
    assert rc == 0
    return {"root": root, "bert": bert, "data": data, "out": out}


def read_results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


@pytest.mark.slow
def test_three_stages_write_every_output(trained):
    out = trained["out"]
    for name in ("finetune", "search", "retrain"):
        assert (out / (name + ".hdf5")).is_file()
        meta = json.loads((out / (name + ".json")).read_text())
        assert meta["task"] == "demo" and meta["seq_len"] == 64 and meta["mode"] == name
        assert meta["bert_config"]["num_hidden_layers"] == LAYERS
    results = read_results(out)
    retention = results["retention_configuration"]
    assert len(retention) == LAYERS
    assert all(1 <= v <= 64 for v in retention)
    assert all(a >= b for a, b in zip(retention, retention[1:]))
    # LAMBDA 0.05 with LR_SOFT_EXTRACT 0.2 must have removed word vectors.
    assert retention[-1] < 64
    assert json.loads((out / "retrain.json").read_text())["retention_configuration"] == retention
    assert results["baseline"]["word_vectors_per_example"] == 64 * LAYERS
    assert results["power_bert"]["word_vectors_per_example"] == sum(retention)
    for key in ("baseline", "power_bert"):
        assert 0.0 <= results[key]["dev_metrics"]["accuracy"] <= 1.0
    masses = results["search"]["masses"]
    assert retention[0] == max(1, min(64, int(np.floor(masses[0] + 1e-6))))
    log = (out / "log.txt").read_text()
    assert "Retention Configuration: %s" % ",".join(map(str, retention)) in log
    assert "finetune epoch 1/1" in log and "retrain epoch 1/1" in log
    # The run's folder holds everything; OUTPUT_DIR/latest and the stage links point at it.
    run = out / "runs" / results["run"]
    assert (out / "latest").resolve() == run.resolve()
    assert (out / "retrain.hdf5").resolve() == (run / "retrain.hdf5").resolve()
    assert json.loads((run / "run.json").read_text())["status"] == "complete"
    assert not list(run.glob("*.resume")) and not (out / ".lock").exists()
    with open(out / "latest" / "test_predictions.tsv", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    assert rows[0] == ["index", "prediction"]
    assert [r[0] for r in rows[1:]] == [str(i) for i in range(24)]
    assert {r[1] for r in rows[1:]} <= {"0", "1"}


@pytest.mark.slow
def test_eval_only_uses_saved_retention_and_flag_overrides(trained):
    out, bert, data = trained["out"], trained["bert"], trained["data"]
    before = (out / "log.txt").read_text()
    retention = read_results(out)["retention_configuration"]
    common = ["--EVAL_ONLY", "--CHECKPOINT_PATH", str(out / "retrain.hdf5")]
    base = flags(bert, data, out)
    base = base[:base.index("--CHECKPOINT_PATH")] + base[base.index("--VOCAB_PATH"):]
    assert cli.main(base + common) == 0
    evaluation = read_results(out)["evaluation"]
    assert evaluation["retention_configuration"] == retention
    assert evaluation["padding"] == "dynamic"  # the default of evaluation
    best = json.loads((out / "retrain.json").read_text())["dev_metrics"]
    assert evaluation["dev_metrics"]["accuracy"] == pytest.approx(best["accuracy"], abs=1e-9)

    # Fixed padding: same predictions, so the same metric.
    assert cli.main(base + common + ["--DYNAMIC_PADDING", "false", "--EVAL_BATCH_SIZE",
                                     "8"]) == 0
    fixed = read_results(out)["evaluation"]
    assert fixed["padding"] == "fixed"
    assert fixed["dev_metrics"]["accuracy"] == pytest.approx(best["accuracy"], abs=1e-9)

    assert cli.main(base + common + ["--RETENTION_CONFIG", "64,8,2"]) == 0
    evaluation = read_results(out)["evaluation"]
    assert evaluation["retention_configuration"] == [64, 8, 2]
    assert evaluation["word_vectors_per_example"] == 74
    # The log is appended to: earlier lines (the retention configuration) survive.
    after = (out / "log.txt").read_text()
    assert after.startswith(before)
    assert "Retention Configuration:" in after


@pytest.mark.slow
def test_eval_only_of_finetuned_model_without_retention(trained):
    out, bert, data = trained["out"], trained["bert"], trained["data"]
    argv = ["--TASK", "demo", "--VOCAB_PATH", str(bert / "vocab.txt"), "--DATA_DIR", str(data),
            "--OUTPUT_DIR", str(out), "--VERBOSE", "0", "--EVAL_ONLY",
            "--CHECKPOINT_PATH", str(out / "finetune.hdf5")]
    assert cli.main(argv) == 0
    evaluation = read_results(out)["evaluation"]
    assert evaluation["retention_configuration"] is None
    assert evaluation["word_vectors_per_example"] == 64 * LAYERS
    best = json.loads((out / "finetune.json").read_text())["dev_metrics"]
    assert evaluation["dev_metrics"]["accuracy"] == pytest.approx(best["accuracy"], abs=1e-9)


@pytest.mark.slow
def test_predict_only_with_and_without_retention(trained, tmp_path):
    out, bert, data = trained["out"], trained["bert"], trained["data"]
    for extra, name in (([], "saved"), (["--RETENTION_CONFIG", "64,64,64"], "full")):
        target = tmp_path / name
        argv = ["--TASK", "demo", "--VOCAB_PATH", str(bert / "vocab.txt"), "--DATA_DIR",
                str(data), "--OUTPUT_DIR", str(target), "--VERBOSE", "0", "--PREDICT_ONLY",
                "--CHECKPOINT_PATH", str(out / "retrain.hdf5")] + extra
        assert cli.main(argv) == 0
        lines = (target / "test_predictions.tsv").read_text().splitlines()
        assert lines[0] == "index\tprediction" and len(lines) == 25
    saved = (tmp_path / "saved" / "test_predictions.tsv").read_text()
    assert saved == (out / "latest" / "test_predictions.tsv").read_text()


@pytest.mark.slow
def test_finetuned_checkpoint_skips_stage_one(trained, first_release, tmp_path):
    """--FINETUNED_CHECKPOINT (here a first release's finetune.hdf5) skips fine-tuning, and
    --SEARCH_EPOCHS lengthens the search alone."""
    out, bert, data = trained["out"], trained["bert"], trained["data"]
    given = first_release / "finetune.hdf5"
    target = tmp_path / "lambda2"
    argv = flags(bert, data, target, "--EPOCH", "1", "--BATCH_SIZE", "16", "--LAMBDA", "0.5",
                 "--LR_SOFT_EXTRACT", "0.2", "--SEARCH_EPOCHS", "2",
                 "--FINETUNED_CHECKPOINT", str(given))
    assert cli.main(argv) == 0
    # The run's finetune.hdf5 is the given model (a link to its real file).
    assert (target / "latest" / "finetune.hdf5").resolve() == given.resolve()
    log = (target / "log.txt").read_text()
    assert "[1/3] finetune skipped: using %s" % given in log
    assert "finetune epoch" not in log
    assert "search epoch 1/2" in log and "search epoch 2/2" in log
    assert "retrain epoch 1/1" in log and "retrain epoch 2/" not in log
    assert "(LR_SOFT_EXTRACT 0.2, SEARCH_EPOCHS 2, 6 steps an epoch)" in log  # 96 examples
    assert json.loads((target / "search.json").read_text())["epoch"] == 2
    assert json.loads((target / "retrain.json").read_text())["epoch"] == 1
    results = read_results(target)
    assert results["search_reach"]["epochs"] == 2 and results["search_reach"]["steps"] == 12
    assert results["baseline"]["dev_metrics"] == pytest.approx(
        json.loads((out / "finetune.json").read_text())["dev_metrics"])
    assert results["retention_configuration"][-1] <= read_results(out)["retention_configuration"][-1]


def run_error(argv, capsys) -> str:
    assert cli.main(argv) == 2
    return capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("retention, expected", [
    ("64,32", "has 2 entries but the model has 3 encoders"),
    ("16,32,8", "non-increasing"),
    ("65,32,8", "seq_len=64"),
    ("64,x,8", "not a comma-separated list of integers"),
])
def test_bad_retention_configuration(trained, capsys, retention, expected):
    out, bert, data = trained["out"], trained["bert"], trained["data"]
    before = (out / "results.json").read_bytes()
    argv = ["--TASK", "demo", "--VOCAB_PATH", str(bert / "vocab.txt"), "--DATA_DIR", str(data),
            "--OUTPUT_DIR", str(out), "--VERBOSE", "0", "--EVAL_ONLY",
            "--CHECKPOINT_PATH", str(out / "retrain.hdf5"), "--RETENTION_CONFIG", retention]
    err = run_error(argv, capsys)
    assert expected in err and err.startswith("error:")
    assert (out / "results.json").read_bytes() == before  # earlier results untouched


@pytest.mark.slow
def test_missing_file_and_unknown_task(trained, tmp_path, capsys):
    bert, data = trained["bert"], trained["data"]
    argv = flags(bert, data, tmp_path / "o")
    argv[argv.index("--VOCAB_PATH") + 1] = str(tmp_path / "nope" / "vocab.txt")
    assert "nope/vocab.txt" in run_error(argv, capsys)
    argv = flags(bert, data, tmp_path / "o")
    argv[argv.index("--TASK") + 1] = "colaa"
    err = run_error(argv, capsys)
    assert "colaa" in err and "cola" in err and "sst-2" in err
    argv = flags(bert, tmp_path / "no_data", tmp_path / "o")
    assert "no_data" in run_error(argv, capsys)
    assert not (tmp_path / "o").exists()  # nothing written before validation passed


@pytest.mark.slow
def test_checkpoint_missing_variable_is_named(tmp_path, trained, capsys):
    bad = make_bert(tmp_path / "bad", drop=("bert/encoder/layer_1/attention/self/key/bias",))
    err = run_error(flags(bad, trained["data"], tmp_path / "o", "--EPOCH", "1"), capsys)
    assert "bert/encoder/layer_1/attention/self/key/bias" in err
    assert not (tmp_path / "o" / "finetune.hdf5").exists()


@pytest.mark.slow
def test_vocab_not_matching_checkpoint(tmp_path, trained, capsys):
    bad = make_bert(tmp_path / "bad", vocab_extra=3)
    err = run_error(flags(bad, trained["data"], tmp_path / "o"), capsys)
    assert "vocab" in err and str(bad / "vocab.txt") in err


@pytest.mark.slow
def test_pred_glue_on_task_without_glue_file(trained, tmp_path, capsys):
    out, bert, data = trained["out"], trained["bert"], trained["data"]
    argv = ["--TASK", "demo", "--VOCAB_PATH", str(bert / "vocab.txt"), "--DATA_DIR", str(data),
            "--OUTPUT_DIR", str(tmp_path), "--VERBOSE", "0", "--PREDICT_ONLY", "--PRED_GLUE",
            "--CHECKPOINT_PATH", str(out / "retrain.hdf5")]
    assert "--PRED_GLUE" in run_error(argv, capsys)


@pytest.mark.slow
def test_cli_exit_status_in_a_real_process(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--TASK", "nosuchtask",
                           "--OUTPUT_DIR", str(tmp_path / "o"), "--DATA_DIR", str(tmp_path)],
                          capture_output=True, text=True, cwd=str(ROOT), timeout=300)
    assert proc.returncode == 2
    assert "nosuchtask" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.slow
def test_eval_only_of_a_fine_tuned_google_checkpoint(trained, tmp_path, capsys,
                                                     monkeypatch):
    """--MODEL_FORMAT CKPT: a run_classifier-style checkpoint (output_weights [C, H])."""
    bert, data = trained["bert"], trained["data"]
    variables = random_bert_variables(demo_config(), seed=5)
    rng = np.random.default_rng(5)
    variables["output_weights"] = rng.normal(
        0, 0.5, (2, TINY_CONFIG["hidden_size"])).astype(np.float32)
    variables["output_bias"] = np.array([0.1, -0.1], np.float32)
    write_checkpoint(variables, str(tmp_path / "clf.ckpt"))
    argv = ["--TASK", "demo", "--BERT_CONFIG_PATH", str(bert / "bert_config.json"),
            "--VOCAB_PATH", str(bert / "vocab.txt"), "--DATA_DIR", str(data), "--OUTPUT_DIR",
            str(tmp_path / "o"), "--VERBOSE", "0", "--EVAL_ONLY", "--MODEL_FORMAT", "CKPT",
            "--CHECKPOINT_PATH", str(tmp_path / "clf.ckpt")]
    assert cli.main(argv) == 0
    evaluation = read_results(tmp_path / "o")["evaluation"]
    assert evaluation["retention_configuration"] is None and evaluation["num_examples"] == 40
    assert cli.main(argv + ["--RETENTION_CONFIG", "32,16,8"]) == 0
    assert read_results(tmp_path / "o")["evaluation"]["word_vectors_per_example"] == 56
    # bfloat16: the model is built for inference (bfloat16 variables) and the checkpoint's
    # float32 values are loaded into them
    from power_bert import precision
    policies = []
    real_policy = precision.policy

    def recording_policy(name, inference=False):
        policies.append((name, inference))
        return real_policy(name, inference)

    monkeypatch.setattr(precision, "policy", recording_policy)
    full = read_results(tmp_path / "o")["evaluation"]["dev_metrics"]["accuracy"]
    assert cli.main(argv + ["--RETENTION_CONFIG", "32,16,8", "--MIXED_PRECISION",
                            "bfloat16"]) == 0
    assert policies == [("bfloat16", True)]
    half = read_results(tmp_path / "o")["evaluation"]["dev_metrics"]["accuracy"]
    assert half == pytest.approx(full, abs=0.1)  # 40 examples: at most 4 change
    # A pre-trained checkpoint has no classifier head: evaluating it is an error.
    argv[argv.index("--CHECKPOINT_PATH") + 1] = str(bert / "bert_model.ckpt")
    assert "output_weights" in run_error(argv, capsys)


def test_ax_is_predicted_by_an_mnli_model(tmp_path):
    from helpers.glue_fixtures import write_ax
    from power_bert.checkpoint import StageCheckpoint
    from power_bert.config import BertConfig
    from power_bert.tasks import get_task
    bert = make_bert(tmp_path / "bert", max_position_embeddings=128)
    config = BertConfig.from_json_file(str(bert / "bert_config.json"))
    mnli = get_task("mnli-m")
    checkpoint = StageCheckpoint(config=config, task="mnli-m", num_labels=3, seq_len=mnli.seq_len,
                                 mode="retrain", retention_configuration=(128, 16, 4))
    checkpoint.save(checkpoint.build(), str(tmp_path / "mnli"), "retrain")
    ax_dir = write_ax(tmp_path / "glue")
    argv = ["--TASK", "ax", "--VOCAB_PATH", str(bert / "vocab.txt"), "--DATA_DIR", str(ax_dir),
            "--OUTPUT_DIR", str(tmp_path / "out"), "--VERBOSE", "0", "--PREDICT_ONLY",
            "--PRED_GLUE", "--CHECKPOINT_PATH", str(tmp_path / "mnli" / "retrain.hdf5")]
    assert cli.main(argv) == 0
    lines = (tmp_path / "out" / "glue" / "AX.tsv").read_text().splitlines()
    with open(ax_dir / "diagnostic.tsv", newline="", encoding="utf-8") as f:
        indices = [row[0] for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)][1:]
    assert lines[0] == "index\tprediction"
    assert [line.split("\t")[0] for line in lines[1:]] == indices
    assert {line.split("\t")[1] for line in lines[1:]} <= {"entailment", "neutral",
                                                          "contradiction"}


def write_first_release_stage(model, folder: Path, stage: str, meta: dict):
    """A stage checkpoint exactly as the first release wrote it: weights, and a .json
    without format_version, vocab_size or vocab_sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    model.save_weights(str(folder / (stage + ".hdf5")))
    (folder / (stage + ".json")).write_text(json.dumps(meta, indent=2), encoding="utf-8")


@pytest.fixture(scope="module")
def first_release(trained, tmp_path_factory):
    """The trained run's finetune and retrain checkpoints in the first release's format."""
    from power_bert.checkpoint import StageCheckpoint
    out, bert = trained["out"], trained["bert"]
    old = tmp_path_factory.mktemp("first_release")
    for stage in ("finetune", "retrain"):
        checkpoint = StageCheckpoint.load(str(out / (stage + ".hdf5")))
        meta = {"bert_config": checkpoint.config.to_dict(), "task": "demo", "num_labels": 2,
                "seq_len": 64, "mode": stage,
                "retention_configuration": checkpoint.applied_retention, "cased": False,
                "vocab_path": str(bert / "vocab.txt"), "epoch": 1,
                "dev_metrics": checkpoint.dev_metrics}
        write_first_release_stage(checkpoint.load_model(), old, stage, meta)
    return old


@pytest.mark.slow
def test_output_dir_of_the_first_release_still_loads(trained, first_release):
    """finetune/retrain checkpoints in the first release's format: evaluation and
    prediction work, with the same predictions as today's files (--FINETUNED_CHECKPOINT:
    test_finetuned_checkpoint_skips_stage_one)."""
    from power_bert.checkpoint import StageCheckpoint
    out, bert, data, old = trained["out"], trained["bert"], trained["data"], first_release
    for stage in ("finetune", "retrain"):
        loaded = StageCheckpoint.load(str(old / (stage + ".json")))
        assert loaded.vocab_sha256 is None
        assert loaded.retention_configuration == StageCheckpoint.load(
            str(out / (stage + ".hdf5"))).retention_configuration
    base = ["--TASK", "demo", "--VOCAB_PATH", str(bert / "vocab.txt"), "--DATA_DIR", str(data),
            "--VERBOSE", "0"]
    assert cli.main(base + ["--OUTPUT_DIR", str(old), "--PREDICT_ONLY", "--CHECKPOINT_PATH",
                            str(old / "retrain.hdf5")]) == 0
    assert (old / "test_predictions.tsv").read_text() == (
        out / "latest" / "test_predictions.tsv").read_text()
    assert cli.main(base + ["--OUTPUT_DIR", str(old), "--EVAL_ONLY", "--CHECKPOINT_PATH",
                            str(old / "finetune.hdf5")]) == 0
    assert read_results(old)["evaluation"]["dev_metrics"] == pytest.approx(
        json.loads((out / "finetune.json").read_text())["dev_metrics"])
