"""``power-bert sweep`` / ``python -m power_bert.sweep``: the accuracy-vs-time trade-off
of one fine-tuned model over LAMBDA (and LR_SOFT_EXTRACT) values and seeds.

    power-bert sweep --TASK mrpc --FINETUNED_CHECKPOINT runs/mrpc/finetune.hdf5 \\
        --LAMBDAS 5e-4,1e-3,2e-3 --SEEDS 1,2,3 --DATA_DIR glue/MRPC \\
        --VOCAB_PATH minilm/vocab.txt --OUTPUT_DIR runs/mrpc-sweep --DYNAMIC_PADDING

Every cell (LAMBDA, LR_SOFT_EXTRACT, SEED) is one training run of the pipeline
(``pipeline.Pipeline.train``: configuration search and re-training from the given
fine-tuned model) in its own OUTPUT_DIR, ``OUTPUT_DIR/cells/lambda=<>,lrs=<>,seed=<>/``.
A cell whose run completed with the same options and input files is skipped when the
sweep runs again; an interrupted cell resumes from its last completed epoch (the
pipeline's resume). Then one interleaved benchmark (``power_bert.benchmark``) times the
fine-tuned model and every cell's model with fixed and dynamic padding.

OUTPUT_DIR receives:
  cells/<cell>/     each cell's pipeline output (runs/, results.json, log.txt, ...)
  benchmark.json/.md  the benchmark of all models (reused while models and settings stay)
  sweep.json        per cell and per (LAMBDA, LR_SOFT_EXTRACT): metric mean and standard
                    deviation over seeds, retention configuration per seed, measured and
                    ideal speed-up, Pareto front, the chosen setting
  sweep.md          the same as a table
  sweep.png         metric against measured time per example (error bars: standard
                    deviation over seeds), the baseline with fixed and with dynamic
                    padding, the Pareto front highlighted
  log.txt           the sweep's progress lines (each cell logs into its own folder)

Model selection: with --TUNE_FRACTION every cell chooses its epochs on the same held-out
part of the training set (seeded by --TUNE_SEED alone, so every seed holds out the same
examples), and the sweep chooses LAMBDA on it: the setting with the largest ideal
speed-up whose mean held-out metric is within --MAX_DROP points of the baseline's (else
the best metric). The dev set is reported for the chosen setting only. Without it, the
same rule runs on dev ("selected and reported on dev").
"""
import argparse
import dataclasses
import json
import math
import os
from typing import Dict, List, Optional, Sequence, Tuple

from power_bert.documents import (RESULTS_FILE, BenchmarkResult, ModelTiming,
                                  RunResults, Selection)
from power_bert.errors import Interrupted, UsageError, check_integer

CELLS = "cells"
SWEEP_JSON, SWEEP_MD, SWEEP_PNG = "sweep.json", "sweep.md", "sweep.png"
BENCHMARK_JSON = "benchmark.json"
PADDINGS = ("fixed", "dynamic")
# Training flags a sweep sets per cell (or that a cell of a sweep cannot take).
NOT_TAKEN = ("--BERT_CONFIG_PATH", "--CHECKPOINT_PATH", "--LAMBDA", "--LR_SOFT_EXTRACT",
             "--SEED", "--SEARCH_CHECKPOINT", "--FRESH", "--PRED_GLUE")

# (flag, argparse keyword arguments): the sweep's own flags, beside the training flags.
FLAGS = (
    ("--LAMBDAS", dict(required=True, help="comma-separated LAMBDA values, e.g. "
                                           "5e-4,1e-3,2e-3")),
    ("--LR_SOFT_EXTRACTS", dict(help="comma-separated LR_SOFT_EXTRACT values (default: the "
                                     "task's reference value)")),
    ("--SEEDS", dict(default="1,2,3", help="comma-separated seeds of every (LAMBDA, "
                                           "LR_SOFT_EXTRACT) setting (default 1,2,3)")),
    ("--MAX_DROP", dict(type=float, default=1.0,
                        help="choose the fastest setting whose mean metric (x100) is at most "
                             "this many points below the baseline's (default 1.0)")),
    ("--BENCHMARK_BATCH_SIZE", dict(type=int, default=128,
                                    help="inference batch of the benchmark (default 128)")),
    ("--RUNS", dict(type=int, default=5, help="timed rounds of the benchmark; 0: no benchmark "
                                              "(no times, no plot) (default 5)")),
    ("--WARMUP", dict(type=int, default=1, help="untimed passes per model before timing "
                                                "(default 1)")),
    ("--BENCHMARK_MAX_EXAMPLES", dict(type=int, help="time on the first N dev examples "
                                                     "(default: all)")),
)


def add_arguments(parser: argparse.ArgumentParser, command: str = "sweep"):
    """The training flags a cell takes from the command line, then the sweep's own."""
    from power_bert import commands
    commands.add_arguments(parser, "train", exclude=NOT_TAKEN)
    for flag, kwargs in FLAGS:
        parser.add_argument(flag, dest=flag[2:], **kwargs)


# ----- the cells -----------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Cell:
    """One training run of the sweep."""
    lam: float
    lr_soft_extract: float
    seed: int

    @property
    def setting(self) -> Tuple[float, float]:
        return self.lam, self.lr_soft_extract

    @property
    def folder_name(self) -> str:
        return "lambda=%g,lrs=%g,seed=%d" % (self.lam, self.lr_soft_extract, self.seed)

    @property
    def model_name(self) -> str:
        """Its name in the benchmark (letters, digits, '.', '_', '-')."""
        return "lambda%g_lrs%g_seed%d" % (self.lam, self.lr_soft_extract, self.seed)


@dataclasses.dataclass(frozen=True)
class SweepOptions:
    """The checked flags: every cell's validated ``options.Options`` and the benchmark's
    settings."""
    output_dir: str
    cells: Tuple[Cell, ...]
    cell_options: Tuple  # options.Options per cell, in the order of ``cells``
    max_drop: float
    batch_size: int
    runs: int
    warmup: int
    max_examples: Optional[int]

    @property
    def base(self):
        """The options every cell shares (those of the first cell)."""
        return self.cell_options[0]


def parse_list(text: str, flag: str, kind):
    """Comma-separated numbers of ``kind`` (float: finite, >= 0; int: >= 0), each once.

    Raises:
      UsageError: naming the flag, the item and what is allowed.
    """
    what = "numbers >= 0 (e.g. 5e-4,1e-3)" if kind is float else "integers >= 0 (e.g. 1,2,3)"
    items = [item.strip() for item in str(text).split(",")]
    values = []
    for item in items:
        try:
            value = kind(item)
        except ValueError:
            raise UsageError("%s must be comma-separated %s, got %r in %r"
                             % (flag, what, item, text)) from None
        if value < 0 or (kind is float and not math.isfinite(value)):
            raise UsageError("%s must be comma-separated %s, got %r in %r"
                             % (flag, what, item, text))
        if any(("%g" % value) == ("%g" % v) for v in values):
            raise UsageError("%s lists %s twice" % (flag, item))
        values.append(value)
    return values


def _check_count(args, flag: str, low: int):
    if getattr(args, flag[2:]) is not None:
        check_integer(getattr(args, flag[2:]), flag, low)


def options_from_args(args: argparse.Namespace) -> SweepOptions:
    """Checks the flags and every cell's options, without TensorFlow.

    Raises:
      UsageError: naming the flag.
    """
    from power_bert.commands import options_from_args as cell_options_from_args
    from power_bert.options import MAX_SEED, validate
    if not args.FINETUNED_CHECKPOINT:
        raise UsageError("--FINETUNED_CHECKPOINT is required: every cell starts from one "
                         "fine-tuned model (OUTPUT_DIR/finetune.hdf5 of a training run)")
    lambdas = parse_list(args.LAMBDAS, "--LAMBDAS", float)
    seeds = parse_list(args.SEEDS, "--SEEDS", int)
    if max(seeds) > MAX_SEED:
        raise UsageError("--SEEDS must be integers in [0, %d], got %d" % (MAX_SEED, max(seeds)))
    rates = (None,) if args.LR_SOFT_EXTRACTS is None else tuple(
        parse_list(args.LR_SOFT_EXTRACTS, "--LR_SOFT_EXTRACTS", float))
    for flag, low in (("--RUNS", 0), ("--WARMUP", 0), ("--BENCHMARK_BATCH_SIZE", 1),
                      ("--BENCHMARK_MAX_EXAMPLES", 1)):
        _check_count(args, flag, low)
    if not (math.isfinite(args.MAX_DROP) and args.MAX_DROP >= 0):
        raise UsageError("--MAX_DROP must be a number of points >= 0, got %r" % args.MAX_DROP)
    cells, cell_options = [], []
    for rate in rates:
        for lam in lambdas:
            for seed in seeds:
                cell_args = argparse.Namespace(**dict(
                    vars(args), LAMBDA=lam, SEED=seed, LR_SOFT_EXTRACT=rate,
                    BERT_CONFIG_PATH=None, CHECKPOINT_PATH=None))
                options, _, _ = validate(cell_options_from_args(cell_args))
                cell = Cell(lam, options.lr_soft_extract, seed)
                options = dataclasses.replace(
                    options, output_dir=os.path.join(args.OUTPUT_DIR, CELLS, cell.folder_name))
                cells.append(cell)
                cell_options.append(options)
    return SweepOptions(output_dir=args.OUTPUT_DIR, cells=tuple(cells),
                        cell_options=tuple(cell_options), max_drop=float(args.MAX_DROP),
                        batch_size=args.BENCHMARK_BATCH_SIZE, runs=args.RUNS,
                        warmup=args.WARMUP, max_examples=args.BENCHMARK_MAX_EXAMPLES)


def run_cells(sweep: SweepOptions, log) -> List[RunResults]:
    """Runs (or skips, when finished) every cell; returns each cell's results.json, with
    its run, run_dir and whether it was skipped.

    Raises:
      Interrupted: Ctrl-C in a cell (its finished epochs are kept; run again to resume).
    """
    import time

    from power_bert import pipeline
    from power_bert.backend import keras
    results = []
    total = len(sweep.cells)
    for index, (cell, options) in enumerate(zip(sweep.cells, sweep.cell_options), start=1):
        head = "[cell %d/%d] %s" % (index, total, cell.folder_name)
        done = pipeline.Pipeline(options).completed_run()
        if done is not None:
            result = dataclasses.replace(
                RunResults.read(os.path.join(done.path, RESULTS_FILE)), run=done.id,
                run_dir=done.path, skipped=True)
            log("%s: finished earlier (run %s), skipped: %s" % (head, done.id,
                                                                _cell_outcome(result)))
            results.append(result)
            continue
        log("%s: configuration search and re-training in %s" % (head, options.output_dir))
        keras.backend.clear_session()
        start = time.time()
        try:
            result = pipeline.run(options)
        except Interrupted:
            log("%s: interrupted (%d of %d cells finished); run the same sweep command again "
                "to resume" % (head, index - 1, total))
            raise Interrupted("cell %s: its finished stages and last completed epoch are kept "
                              "in %s; run the same sweep command again to resume"
                              % (cell.folder_name, options.output_dir)) from None
        result = dataclasses.replace(result, skipped=False)
        log("%s: done in %.0f s: %s" % (head, time.time() - start, _cell_outcome(result)))
        results.append(result)
    return results


def _cell_outcome(result: RunResults) -> str:
    main = result.main_metric
    power = result.power_bert
    held_out = (result.selection or Selection()).held_out
    chosen = power.tune_metrics if held_out else power.dev_metrics
    return "%s %.2f on %s, retention configuration %s" % (
        main, 100 * chosen[main], "held-out" if held_out else "dev",
        ",".join(map(str, result.retention_configuration)))


# ----- the summary: pure functions of the cells' results and the benchmark -------------

def pareto_front(points: Sequence[Tuple[float, float]]) -> List[int]:
    """Indices of the points (time, metric) that no other point beats: none is at least
    as fast and at least as good and better in one of the two. Sorted by time.

    Args:
      points: (time, metric); lower time and higher metric are better.
    """
    front = []
    for i, (time_i, metric_i) in enumerate(points):
        dominated = any(
            time_j <= time_i and metric_j >= metric_i and (time_j < time_i or metric_j > metric_i)
            for j, (time_j, metric_j) in enumerate(points) if j != i)
        if not dominated:
            front.append(i)
    return sorted(front, key=lambda i: (points[i][0], -points[i][1]))


def mean_std(values: Sequence[float]) -> Tuple[float, Optional[float]]:
    """Mean and sample standard deviation (n - 1; None for one value)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, None
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))


def cell_record(cell: Cell, result: RunResults, config: Dict, seq_len: int,
                timing: Optional[Dict]) -> Dict:
    """One cell's entry of sweep.json: its results.json numbers (metrics x100) and its
    benchmark entries by padding (None without a benchmark)."""
    from power_bert.flops import ideal_speedup
    main = result.main_metric
    power = result.power_bert
    retention = list(result.retention_configuration)
    record = {
        "lambda": cell.lam, "lr_soft_extract": cell.lr_soft_extract, "seed": cell.seed,
        "folder": cell.folder_name, "run_dir": result.run_dir,
        "skipped": bool(result.skipped),
        "retention_configuration": retention,
        "dev_metric": 100 * power.dev_metrics[main],
        "selection_metric": 100 * power.selection_metrics[main],
        "epochs_chosen": {"search": result.search.epoch, "retrain": power.epoch},
        "word_vectors_per_example": power.word_vectors_per_example,
        "ideal_speedup": ideal_speedup(config, seq_len, retention),
    }
    if timing is not None:
        record["padding"] = {padding: _timing(entry) for padding, entry in timing.items()}
    return record


def _timing(entry: ModelTiming) -> Dict:
    return {"seconds_per_example": entry.seconds_per_example,
            "speedup": entry.speedup, "ideal_speedup": entry.ideal_speedup,
            "benchmark_metric": entry.metric}


def summarise(cells: Sequence[Dict], baseline: Dict, max_drop: float,
              held_out: bool) -> Dict:
    """The rows (one per (LAMBDA, LR_SOFT_EXTRACT)), the Pareto front and the choice.

    Args:
      cells: ``cell_record``s.
      baseline: {"selection_metric", "dev_metric"} (x100) and, with a benchmark,
        "padding": {padding: ``_timing``}.
      max_drop: points of the selection metric the chosen setting may lose.
      held_out: whether the selection metric is on a held-out part of train (then dev is
        reported for the chosen setting only).

    Returns:
      {"rows": [...], "pareto_front": [...], "chosen": {...}}.
    """
    settings: Dict[Tuple[float, float], List[Dict]] = {}
    for cell in cells:
        settings.setdefault((cell["lambda"], cell["lr_soft_extract"]), []).append(cell)
    rows = []
    for (lam, rate), group in settings.items():
        metric, spread = mean_std([c["selection_metric"] for c in group])
        dev, dev_spread = mean_std([c["dev_metric"] for c in group])
        row = {"lambda": lam, "lr_soft_extract": rate, "seeds": [c["seed"] for c in group],
               "metric_mean": metric, "metric_std": spread,
               "dev_metric_mean": dev, "dev_metric_std": dev_spread,
               "retention_configurations": {str(c["seed"]): c["retention_configuration"]
                                            for c in group},
               "word_vectors_per_example": mean_std(
                   [c["word_vectors_per_example"] for c in group])[0],
               "ideal_speedup": mean_std([c["ideal_speedup"] for c in group])[0]}
        if "padding" in baseline:
            row["padding"] = {padding: {
                "seconds_per_example": mean_std(
                    [c["padding"][padding]["seconds_per_example"] for c in group])[0],
                "speedup": mean_std([c["padding"][padding]["speedup"] for c in group])[0]}
                for padding in baseline["padding"]}
        rows.append(row)
    front = []
    if "padding" in baseline:
        points, names = [], []
        for padding, entry in baseline["padding"].items():
            points.append((entry["seconds_per_example"], baseline["selection_metric"]))
            names.append({"model": "baseline", "padding": padding})
        for index, row in enumerate(rows):
            for padding, entry in row["padding"].items():
                points.append((entry["seconds_per_example"], row["metric_mean"]))
                names.append({"model": "row", "row": index, "padding": padding})
        front = [names[i] for i in pareto_front(points)]
        for row_index, row in enumerate(rows):
            row["pareto"] = [p["padding"] for p in front if p.get("row") == row_index]
    floor = baseline["selection_metric"] - max_drop
    within = [i for i, row in enumerate(rows) if row["metric_mean"] >= floor]
    if within:
        best = max(within, key=lambda i: (rows[i]["ideal_speedup"], rows[i]["metric_mean"]))
        rule = ("the largest ideal speed-up with the mean %s metric at most %g points below "
                "the baseline's" % ("held-out" if held_out else "dev", max_drop))
    else:
        best = max(range(len(rows)), key=lambda i: rows[i]["metric_mean"])
        rule = ("no setting within %g points of the baseline: the best mean %s metric"
                % (max_drop, "held-out" if held_out else "dev"))
    for index, row in enumerate(rows):
        row["chosen"] = index == best
    chosen = {"lambda": rows[best]["lambda"], "lr_soft_extract": rows[best]["lr_soft_extract"],
              "rule": rule, "dev_metric_mean": rows[best]["dev_metric_mean"],
              "dev_metric_std": rows[best]["dev_metric_std"]}
    return {"rows": rows, "pareto_front": front, "chosen": chosen}


# ----- the files ------------------------------------------------------------------------

def _points(value: Optional[float], spread: Optional[float] = None) -> str:
    if value is None:
        return "-"
    return "%.2f" % value if spread is None else "%.2f ± %.2f" % (value, spread)


def markdown(document: Dict) -> str:
    """sweep.md: the set-up, then one row per (LAMBDA, LR_SOFT_EXTRACT) and the baseline."""
    from power_bert.outputs import markdown_table_lines
    held_out = document["selection"]["set"] == "tune"
    metric = document["metric_name"]
    bench = document.get("benchmark")
    head = ("Sweep of %s from %s: LAMBDA %s, LR_SOFT_EXTRACT %s, seeds %s (%d cells). "
            "Model selection: %s. %s x100, mean ± sample standard deviation over seeds. "
            % (document["task"], document["finetuned_checkpoint"],
               ", ".join("%g" % v for v in document["lambdas"]),
               ", ".join("%g" % v for v in document["lr_soft_extracts"]),
               ", ".join(map(str, document["seeds"])), len(document["cells"]),
               document["selection"]["protocol"], metric))
    if bench:
        head += ("Times: dev set (%d examples), batch %d, median of %d interleaved runs, mean "
                 "over seeds; %s, %d CPUs, TensorFlow %s." % (
                     bench["num_examples"], bench["batch_size"], bench["num_runs"],
                     bench["machine"]["platform"], bench["machine"]["cpu_count"],
                     bench["machine"]["tensorflow"]))
    columns = ["LAMBDA", "LR_SOFT_EXTRACT", "%s %s" % ("held-out" if held_out else "dev",
                                                      metric)]
    if held_out:
        columns.append("dev %s (chosen only)" % metric)
    columns += ["retention configuration per seed", "ideal speed-up"]
    paddings = list(bench["paddings"]) if bench else []
    for padding in paddings:
        columns += ["%s ms / example" % padding, "%s speed-up" % padding]
    columns += ["Pareto", "chosen"]
    rows = []
    base = document["baseline"]
    cells = ["BERT (baseline)", "-", _points(base["selection_metric"])]
    if held_out:
        cells.append(_points(base["dev_metric"]))
    cells += ["none (all kept)", "1.00x"]
    for padding in paddings:
        entry = base["padding"][padding]
        cells += ["%.3f" % (1000 * entry["seconds_per_example"]), "1.00x"]
    on_front = [p["padding"] for p in document["pareto_front"] if p["model"] == "baseline"]
    cells += [", ".join(on_front) or "-", "-"]
    rows.append(cells)
    for row in document["rows"]:
        cells = ["%g" % row["lambda"], "%g" % row["lr_soft_extract"],
                 _points(row["metric_mean"], row["metric_std"])]
        if held_out:
            cells.append(_points(row["dev_metric_mean"], row["dev_metric_std"])
                         if row["chosen"] else "-")
        cells += ["; ".join("%s: %s" % (seed, ",".join(map(str, retention)))
                            for seed, retention in row["retention_configurations"].items()),
                  "%.2fx" % row["ideal_speedup"]]
        for padding in paddings:
            entry = row["padding"][padding]
            cells += ["%.3f" % (1000 * entry["seconds_per_example"]), "%.2fx" % entry["speedup"]]
        cells += [", ".join(row.get("pareto", [])) or "-", "yes" if row["chosen"] else ""]
        rows.append(cells)
    chosen = document["chosen"]
    notes = ["", "Chosen: LAMBDA %g, LR_SOFT_EXTRACT %g (%s); dev %s %s."
             % (chosen["lambda"], chosen["lr_soft_extract"], chosen["rule"], metric,
                _points(chosen["dev_metric_mean"], chosen["dev_metric_std"])),
             "Ideal speed-up: encoder multiply-accumulates of the baseline / of the model at "
             "the full length (flops.ideal_speedup), mean over seeds. Speed-up: baseline "
             "median time / model median time, same padding, mean over seeds. Pareto: on the "
             "front of (time per example, mean metric) over every model and padding."]
    lines = markdown_table_lines(columns, rows)
    return head + "\n\n" + "\n".join(lines) + "\n" + "\n".join(notes) + "\n"


def plot(document: Dict, path: str):
    """Mean metric (error bars: standard deviation over seeds) against milliseconds per
    example for every setting and padding, the two baselines marked, the Pareto front
    drawn through its points."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    held_out = document["selection"]["set"] == "tune"
    several_rates = len(document["lr_soft_extracts"]) > 1
    markers = {"fixed": "o", "dynamic": "s"}
    figure, axes = plt.subplots(figsize=(7.5, 5))
    front_xy = []
    base = document["baseline"]
    for padding, marker, label in (("fixed", "*", "BERT (baseline, fixed padding)"),
                                   ("dynamic", "D", "BERT, dynamic padding only")):
        if padding in base["padding"]:
            ms = 1000 * base["padding"][padding]["seconds_per_example"]
            axes.scatter([ms], [base["selection_metric"]], marker=marker, s=140,
                         color="black" if padding == "fixed" else "grey", zorder=3, label=label)
    for padding in document["benchmark"]["paddings"]:
        xs, ys, errors = [], [], []
        for row in document["rows"]:
            xs.append(1000 * row["padding"][padding]["seconds_per_example"])
            ys.append(row["metric_mean"])
            errors.append(row["metric_std"] or 0.0)
            name = "λ=%g" % row["lambda"] + (", lrs=%g" % row["lr_soft_extract"]
                                             if several_rates else "")
            axes.annotate(name, (xs[-1], ys[-1]), textcoords="offset points", xytext=(5, 4),
                          fontsize=7, color="C0" if padding == "fixed" else "C1")
        axes.errorbar(xs, ys, yerr=errors, fmt=markers[padding], color="C0" if padding ==
                      "fixed" else "C1", capsize=3, label="PoWER-BERT, %s padding" % padding)
    for point in document["pareto_front"]:
        source = base if point["model"] == "baseline" else document["rows"][point["row"]]
        metric = source["selection_metric"] if point["model"] == "baseline" else source[
            "metric_mean"]
        front_xy.append((1000 * source["padding"][point["padding"]]["seconds_per_example"],
                         metric))
    if front_xy:
        axes.plot([x for x, _ in front_xy], [y for _, y in front_xy], "-", color="red",
                  linewidth=2, alpha=0.5, drawstyle="steps-post", label="Pareto front",
                  zorder=1)
        axes.scatter([x for x, _ in front_xy], [y for _, y in front_xy], s=160,
                     facecolors="none", edgecolors="red", zorder=4)
    axes.set_xlabel("milliseconds per example (median of %d runs, batch %d)"
                    % (document["benchmark"]["num_runs"], document["benchmark"]["batch_size"]))
    axes.set_ylabel("%s %s (x100), mean ± std over seeds %s"
                    % ("held-out" if held_out else "dev", document["metric_name"],
                       ",".join(map(str, document["seeds"]))))
    axes.set_title("%s: %s vs inference time" % (document["task"], document["metric_name"]))
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=7, loc="best")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


# ----- the whole sweep ---------------------------------------------------------------

def run_benchmark(sweep: SweepOptions, cells: Sequence[Cell], results: Sequence[RunResults],
                  previous: Optional[Dict], log
                  ) -> Tuple[Optional[BenchmarkResult], Optional[Dict]]:
    """One interleaved benchmark of the baseline and every cell's model, fixed and
    dynamic padding; reused from benchmark.json when the models (by checksum) and the
    settings are those it was run with. Returns (benchmark.json, what it was run
    with), (None, None) with --RUNS 0."""
    from power_bert.benchmark.engine import BenchmarkOptions, benchmark
    from power_bert.benchmark.report import BASELINE, POWER
    from power_bert.checkpoint import StageCheckpoint
    if sweep.runs == 0:
        log("benchmark: not run (--RUNS 0)")
        return None, None
    o = sweep.base
    models = [(BASELINE, o.finetuned_checkpoint, "--FINETUNED_CHECKPOINT")]
    for index, (cell, result) in enumerate(zip(cells, results)):
        models.append((POWER if index == 0 else cell.model_name,
                       os.path.join(result.run_dir, "retrain.hdf5"), cell.folder_name))
    inputs = {"models": [[name, os.path.realpath(path),
                          StageCheckpoint.load(path).weights_sha256] for name, path, _ in models],
              "batch_size": sweep.batch_size, "runs": sweep.runs, "warmup": sweep.warmup,
              "paddings": list(PADDINGS), "max_examples": sweep.max_examples, "xla": o.xla}
    output = os.path.join(sweep.output_dir, BENCHMARK_JSON)
    reused = BenchmarkResult.read(output) if previous and previous.get(
        "benchmark_inputs") == inputs else None
    if reused is not None:
        log("benchmark: reusing %s (the same models and settings)" % output)
        return reused, inputs
    log("benchmark: %d models (the baseline and every cell), fixed and dynamic padding, "
        "batch %d, %d interleaved runs" % (len(models), sweep.batch_size, sweep.runs))
    options = BenchmarkOptions(
        models=tuple(models), data_dir=o.data_dir, task=o.task, vocab_path=o.vocab_path,
        batch_size=sweep.batch_size, runs=sweep.runs, warmup=sweep.warmup, paddings=PADDINGS,
        xla=o.xla, max_examples=sweep.max_examples, output=output,
        verbose=1 if o.verbose else 0)
    return benchmark(options, say=log), inputs


def _timings(bench: Optional[BenchmarkResult], name: str) -> Optional[Dict]:
    """A model's entry of every padding mode in benchmark.json (None without one)."""
    return None if bench is None else bench.timings(name)


def sweep_document(sweep: SweepOptions, results: Sequence[RunResults],
                   bench: Optional[BenchmarkResult],
                   bench_inputs: Optional[Dict]) -> Dict:
    """The content of sweep.json."""
    from power_bert.benchmark.report import BASELINE, POWER
    from power_bert.checkpoint import StageCheckpoint
    o = sweep.base
    finetuned = StageCheckpoint.load(o.finetuned_checkpoint)
    config = finetuned.config.to_dict()
    first = results[0]
    main = first.main_metric
    selection = first.selection or Selection()
    held_out = selection.held_out
    cells = [cell_record(cell, result, config, finetuned.seq_len,
                         _timings(bench, POWER if index == 0 else cell.model_name))
             for index, (cell, result) in enumerate(zip(sweep.cells, results))]
    base_result = first.baseline
    baseline = {"dev_metric": 100 * base_result.dev_metrics[main],
                "selection_metric": 100 * base_result.selection_metrics[main],
                "checkpoint": os.path.abspath(o.finetuned_checkpoint)}
    if bench is not None:
        baseline["padding"] = {padding: _timing(entry)
                               for padding, entry in _timings(bench, BASELINE).items()}
    document = {
        "task": first.task, "metric_name": main, "seq_len": finetuned.seq_len,
        "finetuned_checkpoint": os.path.abspath(o.finetuned_checkpoint),
        "lambdas": sorted({c.lam for c in sweep.cells}),
        "lr_soft_extracts": sorted({c.lr_soft_extract for c in sweep.cells}),
        "seeds": sorted({c.seed for c in sweep.cells}),
        "training": {"epochs": o.epochs, "batch_size": o.batch_size, "lr_bert": o.lr_bert,
                     "max_train_examples": o.max_train_examples,
                     "dynamic_padding": o.dynamic_padding},
        "selection": selection.to_json(),
        "selection_protocols_agree": all(r.selection == first.selection for r in results),
        "baseline": baseline, "cells": cells,
        "benchmark": None if bench is None else {
            "file": os.path.abspath(os.path.join(sweep.output_dir, BENCHMARK_JSON)),
            "paddings": bench.paddings, "num_examples": bench.num_examples,
            "batch_size": bench.batch_size, "num_runs": bench.num_runs,
            "machine": bench.machine},
        "benchmark_inputs": bench_inputs,
        "definitions": {
            "metrics": "%s x100; selection_metric: on the set that chose the epochs (and "
                       "LAMBDA): the held-out part of train, or dev" % main,
            "metric_std": "sample standard deviation over seeds (n - 1); null for one seed",
            "ideal_speedup": "encoder MACs of the baseline / of the model, full length",
            "speedup": "baseline median time / model median time, same padding",
            "pareto_front": "points (time per example, mean selection metric) that no other "
                            "model or padding beats in both",
        },
    }
    document.update(summarise(cells, baseline, sweep.max_drop, held_out))
    return document


def run_sweep(sweep_options: SweepOptions) -> Dict:
    """Runs every cell (skipping finished ones), the benchmark, and writes sweep.json,
    sweep.md and sweep.png. Returns sweep.json's content."""
    from power_bert.outputs import OutputLock, RunRecord, read_json, write_json_atomically
    from power_bert.precision import policy
    output_dir = sweep_options.output_dir
    record = RunRecord(output_dir)
    with OutputLock(output_dir):
        record.open({"cells": [c.folder_name for c in sweep_options.cells],
                     "finetuned_checkpoint": sweep_options.base.finetuned_checkpoint,
                     "tune_fraction": sweep_options.base.tune_fraction,
                     "tune_seed": sweep_options.base.tune_seed})
        log = record.log
        log("sweep of %s: %d cells in %s" % (sweep_options.base.task, len(sweep_options.cells),
                                             os.path.join(output_dir, CELLS)))
        results = run_cells(sweep_options, log)
        previous = read_json(os.path.join(output_dir, SWEEP_JSON))
        with policy(sweep_options.base.mixed_precision):
            bench, bench_inputs = run_benchmark(sweep_options, sweep_options.cells, results,
                                                previous, log)
        document = sweep_document(sweep_options, results, bench, bench_inputs)
        write_json_atomically(os.path.join(output_dir, SWEEP_JSON), document)
        table = markdown(document)
        with open(os.path.join(output_dir, SWEEP_MD), "w", encoding="utf-8") as writer:
            writer.write(table)
        log("")
        log(table)
        written = [SWEEP_JSON, SWEEP_MD]
        if bench is not None:
            plot(document, os.path.join(output_dir, SWEEP_PNG))
            written.append(SWEEP_PNG)
        log("written: %s in %s" % (", ".join(written), output_dir))
    return document


def run(args: argparse.Namespace) -> int:
    """``power-bert sweep``: checks every flag (before TensorFlow loads), then sweeps."""
    run_sweep(options_from_args(args))
    return 0


if __name__ == "__main__":
    import sys

    from power_bert import cli
    sys.exit(cli.run_command("sweep", prog="python -m power_bert.sweep"))
