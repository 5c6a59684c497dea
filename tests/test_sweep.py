"""The trade-off sweep (``power-bert sweep``) and held-out model selection
(``--TUNE_FRACTION``): the held-out split, the Pareto front and the summary against
hand-made numbers, the flags' errors, and one end-to-end sweep on a tiny BERT that is run
twice (the second run recomputes nothing)."""
import json
import math
from pathlib import Path

import numpy as np
import pytest

from power_bert.data import train_split
from power_bert.sweep import mean_std, pareto_front, summarise

import main as legacy_cli

from helpers.runs import flags, write_demo_inputs


# ----- the held-out split ----------------------------------------------------------------

def test_without_a_fraction_the_split_is_the_seeded_subset_of_before():
    train, held = train_split(50, seed=7, max_examples=20)
    assert held.size == 0
    assert list(train) == list(np.random.RandomState(7).permutation(50)[:20])


@pytest.mark.parametrize("max_examples, tune, trained", [(None, 10, 40), (20, 4, 16)])
def test_held_out_part_is_disjoint_seeded_and_independent_of_the_training_seed(
        max_examples, tune, trained):
    train, held = train_split(50, seed=1, max_examples=max_examples, tune_fraction=0.2,
                              tune_seed=3)
    assert (len(held), len(train)) == (tune, trained)
    assert not set(train) & set(held)
    assert len(set(train)) == trained and list(held) == sorted(set(held))
    # The held-out examples: the head of the tune seed's permutation of the whole file.
    assert list(held) == sorted(np.random.RandomState(3).permutation(50)[:tune])
    for seed in (2, 99):  # the cells of a sweep differ in seed: the same part held out
        other_train, other_held = train_split(50, seed=seed, max_examples=max_examples,
                                              tune_fraction=0.2, tune_seed=3)
        assert list(other_held) == list(held)
        assert not set(other_train) & set(held)
        assert list(other_train) != list(train)  # (the seed still orders the training part)
    assert list(train_split(50, 1, max_examples, 0.2, tune_seed=4)[1]) != list(held)


def test_a_fraction_that_leaves_no_tuning_or_no_training_example():
    with pytest.raises(ValueError, match="leaves 0 to tune on and 10 to train on"):
        train_split(10, seed=1, tune_fraction=0.01)
    with pytest.raises(ValueError, match="leaves 10 to tune on and 0 to train on"):
        train_split(10, seed=1, tune_fraction=0.99)


# ----- the summary --------------------------------------------------------------------

def test_pareto_front_of_a_hand_made_set():
    points = [(1.0, 80.0), (0.5, 78.0), (0.5, 79.0), (0.8, 80.0), (2.0, 81.0), (0.3, 70.0),
              (0.9, 75.0), (0.3, 70.0)]
    # (0.5, 78) loses to (0.5, 79); (1.0, 80) and (0.9, 75) to (0.8, 80); the two equal
    # points (0.3, 70) beat each other in nothing, so both stay.
    assert pareto_front(points) == [5, 7, 2, 3, 4]
    assert pareto_front([(1.0, 1.0)]) == [0]


def _cell(lambda_, seed, tune, dev, retention, ideal, fixed, dynamic):
    return {"lambda": lambda_, "lr_soft_extract": 0.01, "seed": seed, "selection_metric": tune,
            "dev_metric": dev, "retention_configuration": retention,
            "word_vectors_per_example": sum(retention), "ideal_speedup": ideal,
            "padding": {"fixed": {"seconds_per_example": fixed, "speedup": 2.0 / fixed},
                        "dynamic": {"seconds_per_example": dynamic, "speedup": 1.0 / dynamic}}}


def test_summary_means_spreads_front_and_choice():
    cells = [_cell(1e-3, 1, 80.0, 79.0, [60, 40, 20], 2.0, 1.0, 0.5),
             _cell(1e-3, 2, 82.0, 81.0, [60, 30, 20], 2.2, 0.9, 0.45),
             _cell(1e-2, 1, 70.0, 69.0, [30, 10, 5], 6.0, 0.4, 0.3),
             _cell(1e-2, 2, 71.0, 70.5, [30, 10, 4], 6.2, 0.4, 0.3)]
    baseline = {"selection_metric": 81.5, "dev_metric": 80.0,
                "padding": {"fixed": {"seconds_per_example": 2.0},
                            "dynamic": {"seconds_per_example": 1.0}}}
    summary = summarise(cells, baseline, max_drop=1.0, held_out=True)
    low, high = summary["rows"]
    assert (low["lambda"], high["lambda"]) == (1e-3, 1e-2)
    assert low["metric_mean"] == pytest.approx(81.0)
    assert low["metric_std"] == pytest.approx(np.std([80.0, 82.0], ddof=1))
    assert high["dev_metric_std"] == pytest.approx(np.std([69.0, 70.5], ddof=1))
    assert low["retention_configurations"] == {"1": [60, 40, 20], "2": [60, 30, 20]}
    assert low["ideal_speedup"] == pytest.approx(2.1)
    assert low["padding"]["fixed"]["seconds_per_example"] == pytest.approx(0.95)
    assert high["padding"]["dynamic"]["speedup"] == pytest.approx(1 / 0.3)
    # Points: baseline fixed (2.0, 81.5) and dynamic (1.0, 81.5); lambda 1e-3 fixed
    # (0.95, 81) and dynamic (0.475, 81); lambda 1e-2 (0.4, 70.5) and (0.3, 70.5).
    assert summary["pareto_front"] == [
        {"model": "row", "row": 1, "padding": "dynamic"},
        {"model": "row", "row": 0, "padding": "dynamic"},
        {"model": "baseline", "padding": "dynamic"}]
    assert (low["pareto"], high["pareto"]) == (["dynamic"], ["dynamic"])
    # Within 1 point of 81.5: only lambda 1e-3 (81.0); 1e-2 is faster but 11 points down.
    assert (low["chosen"], high["chosen"]) == (True, False)
    assert summary["chosen"]["lambda"] == 1e-3
    assert summary["chosen"]["dev_metric_mean"] == pytest.approx(80.0)
    # A looser budget takes the faster setting; none within it: the best metric.
    assert summarise(cells, baseline, 12.0, True)["chosen"]["lambda"] == 1e-2
    fallback = summarise(cells, dict(baseline, selection_metric=95.0), 1.0, True)["chosen"]
    assert fallback["lambda"] == 1e-3 and "no setting within 1 points" in fallback["rule"]


def _result(lam_index, tune, dev, retention):
    """A cell's results.json as a training run with --TUNE_FRACTION writes it (metrics in
    [0, 1]): the held-out metric of the chosen epoch and the dev metric of that model."""
    from power_bert.documents import RunResults
    return RunResults.from_json({
        "main_metric": "accuracy", "run_dir": "runs/%d" % lam_index,
        "retention_configuration": retention, "search": {"epoch": 1},
        "power_bert": {"tune_metrics": {"accuracy": tune}, "dev_metrics": {"accuracy": dev},
                       "epoch": 2, "word_vectors_per_example": sum(retention)}}, "results.json")


def test_held_out_mean_not_dev_mean_chooses_the_setting(tiny_config):
    """With --TUNE_FRACTION the choice is made on the held-out means: here the dev means
    prefer the other LAMBDA (the faster one, and the better one), so a sweep that chose
    by dev would pick it."""
    from power_bert.sweep import Cell, cell_record
    careful, greedy = 1e-3, 1e-2  # LAMBDA: keeps more words / removes more
    # held-out: careful 85, greedy 70 (per seed); dev: careful 70, greedy 85
    per_seed = {careful: ((0.84, 0.70), (0.86, 0.70)), greedy: ((0.70, 0.84), (0.70, 0.86))}
    retention = {careful: [8, 6, 4], greedy: [4, 2, 1]}
    cells = [cell_record(Cell(lambda_, 0.01, seed), _result(i, tune, dev, retention[lambda_]),
                         tiny_config, 8, None)
             for i, lambda_ in enumerate((careful, greedy))
             for seed, (tune, dev) in enumerate(per_seed[lambda_], 1)]
    assert [c["selection_metric"] for c in cells] == pytest.approx([84, 86, 70, 70])
    assert [c["dev_metric"] for c in cells] == pytest.approx([70, 70, 84, 86])
    assert cells[2]["ideal_speedup"] > cells[0]["ideal_speedup"]  # greedy is faster
    baseline = {"selection_metric": 85.5, "dev_metric": 86.0}
    summary = summarise(cells, baseline, max_drop=1.0, held_out=True)
    rows = {row["lambda"]: row for row in summary["rows"]}
    assert (rows[careful]["metric_mean"], rows[greedy]["metric_mean"]) == pytest.approx(
        (85.0, 70.0))
    assert (rows[careful]["dev_metric_mean"], rows[greedy]["dev_metric_mean"]) == pytest.approx(
        (70.0, 85.0))
    # within 1 point of the baseline's held-out 85.5: careful (85) only; by dev, greedy
    # (85 >= 84.5, and faster) would be chosen
    assert summary["chosen"]["lambda"] == careful
    assert "held-out" in summary["chosen"]["rule"]
    assert summary["chosen"]["dev_metric_mean"] == pytest.approx(70.0)
    # none within the budget: the best held-out mean (by dev it would be greedy again)
    fallback = summarise(cells, dict(baseline, selection_metric=95.0), 1.0, True)["chosen"]
    assert fallback["lambda"] == careful and "no setting within" in fallback["rule"]


def test_mean_std_of_one_seed_has_no_spread():
    assert mean_std([3.0]) == (3.0, None)


# ----- flags --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """A tiny BERT and demo data (24 training, 8 dev, 4 test examples)."""
    return write_demo_inputs(tmp_path_factory.mktemp("sweep"), train=24, dev=8, test=4)


def sweep_flags(bert: Path, data: Path, out: Path, finetuned: Path, *extra):
    return ["sweep", "--TASK", "demo", "--FINETUNED_CHECKPOINT", str(finetuned),
            "--VOCAB_PATH", str(bert / "vocab.txt"), "--DATA_DIR", str(data),
            "--OUTPUT_DIR", str(out), "--VERBOSE", "0", *extra]


@pytest.mark.parametrize("extra, expected", [
    (["--LAMBDAS", "1e-3,x"], "--LAMBDAS must be comma-separated numbers >= 0 "
                              "(e.g. 5e-4,1e-3), got 'x' in '1e-3,x'"),
    (["--LAMBDAS", "1e-3,0.001"], "--LAMBDAS lists 0.001 twice"),
    (["--LAMBDAS", "1e-3", "--SEEDS", "1,-2"], "--SEEDS must be comma-separated integers"),
    (["--LAMBDAS", "1e-3", "--SEEDS", "1,2147483648"], "--SEEDS must be integers in "
                                                       "[0, 2147483647], got 2147483648"),
    (["--LAMBDAS", "1e-3", "--RUNS", "-1"], "--RUNS must be at least 0, got -1"),
    (["--LAMBDAS", "1e-3", "--TUNE_FRACTION", "1"], "--TUNE_FRACTION must be in [0, 1)"),
])
def test_bad_sweep_flags_are_one_line(inputs, tmp_path, capsys, extra, expected):
    from power_bert import cli
    bert, data = inputs
    out = tmp_path / "out"
    finetuned = tmp_path / "finetune.hdf5"
    finetuned.write_bytes(b"")  # (only the flags are checked before it is read)
    assert cli.main(sweep_flags(bert, data, out, finetuned, *extra)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_sweep_needs_a_fine_tuned_model_and_eval_takes_no_tune_fraction(inputs, tmp_path,
                                                                         capsys):
    from power_bert import cli
    bert, data = inputs
    argv = sweep_flags(bert, data, tmp_path / "out", "x", "--LAMBDAS", "1e-3")
    argv = argv[:argv.index("--FINETUNED_CHECKPOINT")] + argv[argv.index("--VOCAB_PATH"):]
    assert cli.main(argv) == 2
    assert "--FINETUNED_CHECKPOINT is required" in capsys.readouterr().err
    base = flags(bert, data, tmp_path / "eval")
    assert legacy_cli.main(base + ["--EVAL_ONLY", "--TUNE_FRACTION", "0.2"]) == 2
    assert "--TUNE_FRACTION is for training" in capsys.readouterr().err


# ----- one sweep, run twice ---------------------------------------------------------------

TUNE = ["--TUNE_FRACTION", "0.25", "--TUNE_SEED", "3"]
PROTOCOL = "selected on 25% of train held out (seed 3), reported on dev"


def write_finetuned(bert: Path, folder: Path, num_train: int) -> Path:
    """A fine-tuned-stage checkpoint of the tiny BERT (random weights: the sweep's
    mechanics need no trained baseline) recorded as holding out what TUNE holds out."""
    from power_bert.backend import keras
    from power_bert.checkpoint import StageCheckpoint, file_sha256
    from power_bert.config import BertConfig
    from power_bert.data import count_vocab
    from power_bert.stages import selection_record
    from power_bert.tasks import get_task
    keras.utils.set_random_seed(0)
    task = get_task("demo")
    train, held = train_split(num_train, seed=0, tune_fraction=0.25, tune_seed=3)
    checkpoint = StageCheckpoint(
        config=BertConfig.from_json_file(str(bert / "bert_config.json")), task=task.name,
        num_labels=task.num_labels, seq_len=task.seq_len, mode="finetune",
        vocab_size=count_vocab(str(bert / "vocab.txt")),
        vocab_sha256=file_sha256(str(bert / "vocab.txt")), vocab_path=str(bert / "vocab.txt"),
        epoch=1, selection=selection_record(0.25, 3, held, len(train)))
    saved = checkpoint.save(checkpoint.build(), str(folder), "finetune")
    keras.backend.clear_session()
    return Path(saved.weights_path)


@pytest.fixture(scope="module")
def swept(inputs, tmp_path_factory):
    bert, data = inputs
    root = tmp_path_factory.mktemp("swept")
    finetuned = write_finetuned(bert, root / "finetuned", num_train=24)
    out = root / "out"
    argv = sweep_flags(bert, data, out, finetuned, "--EPOCH", "1", "--BATCH_SIZE", "8",
                       "--LR_BERT", "1e-3", "--LR_SOFT_EXTRACTS", "0.2", "--LAMBDAS", "0.05",
                       "--SEEDS", "1,2", "--RUNS", "1", "--WARMUP", "0",
                       "--BENCHMARK_BATCH_SIZE", "8", *TUNE)
    from power_bert import cli
    assert cli.main(argv) == 0
    return {"out": out, "argv": argv, "finetuned": finetuned, "bert": bert, "data": data}


def cell_results(out: Path):
    cells = sorted((out / "cells").iterdir())
    return cells, [json.loads((cell / "results.json").read_text()) for cell in cells]


@pytest.mark.slow
def test_sweep_summary_agrees_with_the_cells_results(swept):
    from power_bert.flops import ideal_speedup
    out = swept["out"]
    document = json.loads((out / "sweep.json").read_text())
    cells, results = cell_results(out)
    assert [c.name for c in cells] == ["lambda=0.05,lrs=0.2,seed=1", "lambda=0.05,lrs=0.2,seed=2"]
    (row,) = document["rows"]
    tune = [100 * r["power_bert"]["tune_metrics"]["accuracy"] for r in results]
    dev = [100 * r["power_bert"]["dev_metrics"]["accuracy"] for r in results]
    assert row["seeds"] == [1, 2]
    assert row["metric_mean"] == pytest.approx(np.mean(tune))
    assert row["metric_std"] == pytest.approx(np.std(tune, ddof=1))
    assert row["dev_metric_mean"] == pytest.approx(np.mean(dev))
    assert row["retention_configurations"] == {
        str(seed): r["retention_configuration"] for seed, r in zip((1, 2), results)}
    config = json.loads((out.parent / "finetuned" / "finetune.json").read_text())["bert_config"]
    assert row["ideal_speedup"] == pytest.approx(np.mean(
        [ideal_speedup(config, 64, r["retention_configuration"]) for r in results]))
    base = results[0]["baseline"]
    assert document["baseline"]["selection_metric"] == pytest.approx(
        100 * base["tune_metrics"]["accuracy"])
    # Every model timed in one benchmark, with both paddings; the plot is written.
    bench = json.loads((out / "benchmark.json").read_text())
    assert [run["padding"] for run in bench["runs"]] == ["fixed", "dynamic"]
    for cell, record in zip(results, document["cells"]):
        assert record["run_dir"] == cell["run_dir"]
        assert set(record["padding"]) == {"fixed", "dynamic"}
    timed = {m["checkpoint"] for run in bench["runs"][:1]
             for m in [run["baseline"], run["power_bert"], *run["extra"].values()]}
    assert timed == {str(swept["finetuned"])} | {r["run_dir"] + "/retrain.hdf5" for r in results}
    assert row["padding"]["fixed"]["seconds_per_example"] == pytest.approx(np.mean(
        [c["padding"]["fixed"]["seconds_per_example"] for c in document["cells"]]))
    assert (out / "sweep.png").stat().st_size > 0
    table = (out / "sweep.md").read_text()
    assert PROTOCOL in table and "| 0.05 | 0.2 | %.2f ± %.2f |" % (
        np.mean(tune), np.std(tune, ddof=1)) in table


@pytest.mark.slow
def test_every_cell_holds_out_the_same_part_and_records_the_protocol(swept):
    out = swept["out"]
    cells, results = cell_results(out)
    finetuned = json.loads((out.parent / "finetuned" / "finetune.json").read_text())
    for cell, result in zip(cells, results):
        selection = result["selection"]
        assert selection["protocol"] == PROTOCOL and selection["set"] == "tune"
        assert (selection["tune_examples"], selection["train_examples"]) == (6, 18)
        assert selection["tune_indices_sha256"] == (
            finetuned["selection"]["tune_indices_sha256"])
        for stage in ("search", "power_bert"):  # chosen on held-out, reported on dev
            assert set(result[stage]) >= {"tune_metrics", "dev_metrics"}
            assert result[stage]["history"] == [result[stage]["tune_metrics"]]
        log = (cell / "log.txt").read_text()
        assert "model selection: %s (6 examples held out, 18 trained on)" % PROTOCOL in log
        assert "retrain: epoch 1 chosen on the held-out part" in log
    assert json.loads((out / "sweep.json").read_text())["selection"]["protocol"] == PROTOCOL
    # The dev numbers reported are those of the kept model.
    argv = flags(swept["bert"], swept["data"], out / "eval", "--EVAL_ONLY",
                 "--CHECKPOINT_PATH", results[0]["run_dir"] + "/retrain.hdf5")
    argv = argv[:argv.index("--BERT_CONFIG_PATH")] + argv[argv.index("--VOCAB_PATH"):]
    assert legacy_cli.main(argv) == 0
    evaluation = json.loads((out / "eval" / "results.json").read_text())["evaluation"]
    assert evaluation["dev_metrics"] == pytest.approx(results[0]["power_bert"]["dev_metrics"])


@pytest.mark.slow
def test_second_sweep_recomputes_nothing(swept, monkeypatch, capsys):
    from power_bert import cli, pipeline
    from power_bert.benchmark import engine as benchmark_engine
    out = swept["out"]
    before = {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("*") if p.is_file()}
    document = json.loads((out / "sweep.json").read_text())

    def must_not_run(*args, **kwargs):
        raise AssertionError("a finished cell or the benchmark was computed again")

    monkeypatch.setattr(pipeline, "run", must_not_run)
    monkeypatch.setattr(benchmark_engine, "benchmark", must_not_run)
    assert cli.main(swept["argv"]) == 0
    assert {p: p.stat().st_mtime_ns for p in (out / "cells").rglob("*") if p.is_file()} == before
    again = json.loads((out / "sweep.json").read_text())
    assert again["rows"] == document["rows"] and again["cells"] == [
        dict(c, skipped=True) for c in document["cells"]]
    log = (out / "log.txt").read_text()
    assert log.count("finished earlier (run ") == 2 and "benchmark: reusing" in log


@pytest.mark.slow
def test_a_fine_tuned_model_that_saw_the_held_out_part_is_refused(swept, capsys):
    from power_bert import cli
    argv = list(swept["argv"])
    argv[argv.index("--TUNE_SEED") + 1] = "4"
    out = swept["out"].parent / "other"
    argv[argv.index("--OUTPUT_DIR") + 1] = str(out)
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert ("error: the given fine-tuned model %s was selected on 25%% of train held out "
            "(seed 3), reported on dev, so it may have trained on the 6 examples "
            "--TUNE_FRACTION 0.25 --TUNE_SEED 4 --TUNE_SPLIT rows holds out; train it with "
            "the same --TUNE_FRACTION, --TUNE_SEED, --TUNE_SPLIT and --MAX_TRAIN_EXAMPLES"
            % swept["finetuned"]) in err
    assert not (out / "cells").exists() or not list((out / "cells").rglob("results.json"))


@pytest.mark.slow
def test_the_readme_results_table_reads_the_sweep(swept, capsys):
    """benchmarks/results_table.py: the chosen row's numbers are sweep.json's."""
    from helpers.cli import load_benchmark_script
    table = load_benchmark_script("results_table")
    sweep_json = swept["out"] / "sweep.json"
    document = json.loads(sweep_json.read_text())
    assert document["seq_len"] == 64
    assert table.main([str(sweep_json)]) == 0
    header, rule, row = capsys.readouterr().out.strip().split("\n")
    cells = [c.strip() for c in row.strip("|").split("|")]
    (chosen,) = document["rows"]
    base = document["baseline"]["dev_metric"]
    assert cells[1] == PROTOCOL
    assert cells[2] == "%.2f" % base
    assert cells[3] == "%.2f ± %.2f (%+.2f)" % (chosen["dev_metric_mean"],
                                                chosen["dev_metric_std"],
                                                chosen["dev_metric_mean"] - base)
    assert cells[5] == "; ".join("%s: %s" % (seed, ",".join(map(str, retention))) for seed,
                                 retention in chosen["retention_configurations"].items())
    assert cells[6].endswith("/ %d" % (64 * len(document["cells"][0]["retention_configuration"])))
    fixed = chosen["padding"]["fixed"]["speedup"]
    assert cells[7].startswith("%.2fx (" % fixed)
    assert table.main([str(swept["out"] / "missing.json")]) == 2
