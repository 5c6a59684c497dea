"""Inference benchmark: fine-tuned BERT against PoWER-BERT on a task's dev set.

  python -m power_bert.benchmark --BASELINE out/sst-2/finetune.hdf5 \
      --POWER out/sst-2/retrain.hdf5 --TASK sst-2 --DATA_DIR glue/SST-2 \
      --VOCAB_PATH uncased_L-12_H-768_A-12/vocab.txt --PADDING both --PLOT plot.png

For each padding mode the models are rebuilt from the metadata saved beside their
weights, the dev set (loaded once, kept in memory as numpy) is predicted once per
model to warm up (tracing, XLA compilation, caches), then whole-dev-set inference is
timed with the models alternating A B A B ... for RUNS rounds, so that whatever else
the machine does slows every model alike. Reported: the median per model and the
ratio of medians (baseline / PoWER-BERT), which is steadier than absolute times.
The timed region is the model work only: batches are cut and converted to int32
arrays before timing (``padding.prepare_batches``).

Padding modes:
  fixed    every batch is [B, N], N = the task's max sequence length (as in the paper).
  dynamic  every batch is cut to its longest real example, T_b <= N (models built
           with seq_len=None; see ``power_bert.padding``).

Word vectors processed per example (vectors entering the encoders' feed-forward
networks, ``flops.word_vectors_processed``):
  fixed    baseline L * N;  PoWER-BERT sum_j l_j.
  dynamic  the dev-set average, each example counted at its batch's length T_b:
           baseline L * T_b;  PoWER-BERT sum_j min(l_j, T_b) (Extract keeps at most
           the vectors there are).
Ideal speed-up (compute-bound, encoder matrix products only, ``flops.encoder_macs``):
  fixed    flops.ideal_speedup(config, N, retention).
  dynamic  sum_b n_b * MACs(T_b, no elimination) / sum_b n_b * MACs(T_b, min(l_j, T_b)),
           over the actual batches b (n_b examples of length T_b).

Writes OUTPUT (benchmark.json), a Markdown table beside it (benchmark.md) and,
with --PLOT, metric against time per example. Errors in flags or files print one
"error: ..." line and exit with status 2.
"""
import argparse
import dataclasses
import json
import os
import platform
import re
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

import power_bert  # noqa: F401  (selects the Keras 2 API before TensorFlow loads)

PADDINGS = ("fixed", "dynamic")
BASELINE, POWER = "baseline", "power_bert"
LABELS = {BASELINE: "BERT (baseline)", POWER: "PoWER-BERT"}


class BenchmarkError(ValueError):
    """A flag, file or model combination the benchmark cannot use."""


@dataclasses.dataclass
class ModelSpec:
    """A stage checkpoint and what rebuilds it.

    Attributes:
      name: key in the results ("baseline", "power_bert" or an --EXTRA name).
      path: the path given on the command line.
      weights: the resolved .hdf5 file.
      meta: the metadata saved beside it.
      config: its BertConfig.
    """
    name: str
    path: str
    weights: str
    meta: dict
    config: object

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    @property
    def seq_len(self) -> int:
        return int(self.meta["seq_len"])

    @property
    def retention(self) -> Optional[List[int]]:
        """The l_j the model applies (None when it drops nothing)."""
        if self.meta["mode"] != "retrain":
            return None
        retention = self.meta.get("retention_configuration")
        return [int(v) for v in retention] if retention is not None else None


def load_spec(name: str, path: str, flag: str) -> ModelSpec:
    """Reads a stage checkpoint's metadata (weights are loaded per padding mode)."""
    from power_bert import checkpoint as ckpt
    from power_bert.config import BertConfig
    weights, meta_path = ckpt.resolve_stage_checkpoint(path)
    meta = ckpt.read_stage_meta(meta_path)
    config = BertConfig.from_dict(meta["bert_config"], source=meta_path)
    if meta["mode"] == "retrain" and meta.get("retention_configuration") is None:
        raise BenchmarkError("%s %s: a retrain-mode model without a retention configuration "
                             "in %s" % (flag, path, meta_path))
    return ModelSpec(name, path, weights, meta, config)


def check_same_task(specs: Sequence[ModelSpec], task_name: Optional[str]):
    """All models must be of one task, length, vocabulary size and casing.

    Returns:
      (TaskSpec of the dev data, seq_len, cased).
    """
    from power_bert.tasks import get_task
    first = specs[0]
    for spec in specs[1:]:
        for key, what in (("task", "task"), ("seq_len", "sequence length"),
                          ("cased", "casing (cased)")):
            if spec.meta.get(key) != first.meta.get(key):
                raise BenchmarkError(
                    "the models must be of the same task: %s (%s) has %s %r but %s (%s) has "
                    "%r" % (first.name, first.path, what, first.meta.get(key), spec.name,
                            spec.path, spec.meta.get(key)))
        if spec.config.vocab_size != first.config.vocab_size:
            raise BenchmarkError(
                "the models must share one vocabulary: %s has %d word pieces, %s has %d"
                % (first.name, first.config.vocab_size, spec.name, spec.config.vocab_size))
    model_task = get_task(first.meta["task"])
    if task_name is None:
        task = model_task
    else:
        try:
            task = get_task(task_name)
        except ValueError as e:
            raise BenchmarkError("--TASK: %s" % e) from None
        label_task = get_task(task.label_task) if task.label_task else task
        if label_task.name != model_task.name:
            raise BenchmarkError("--TASK %s needs %s models, but the models were trained on %s"
                                 % (task.name, label_task.name, model_task.name))
    return task, first.seq_len, bool(first.meta.get("cased", False))


def build(spec: ModelSpec, dynamic: bool):
    """Rebuilds a model from its metadata (seq_len=None for dynamic padding) and loads
    its weights."""
    from power_bert import checkpoint as ckpt
    from power_bert.model import build_model
    model = build_model(spec.config, int(spec.meta["num_labels"]),
                        None if dynamic else spec.seq_len, spec.meta["mode"],
                        spec.retention, max_len=spec.seq_len, name=spec.name)
    ckpt.load_stage_weights(model, spec.weights)
    return model


# ----- analytic cost ----------------------------------------------------------------

def capped_retention(spec: ModelSpec, length: int) -> List[int]:
    """The vectors each encoder keeps for inputs of ``length`` tokens: min(l_j, length),
    or ``length`` everywhere without elimination."""
    layers = spec.config.num_hidden_layers
    if spec.retention is None:
        return [int(length)] * layers
    return [min(int(l), int(length)) for l in spec.retention]


def model_cost(spec: ModelSpec, lengths: Sequence[int], sizes: Sequence[int]) -> Dict:
    """Word vectors and encoder MACs per example over batches of the given lengths.

    Args:
      spec: the model.
      lengths: input length T_b of every batch.
      sizes: examples n_b of every batch.

    Returns:
      {"word_vectors_per_example": float, "encoder_macs_total": int (all examples),
       "encoder_macs_per_example": float}.
    """
    from power_bert.flops import encoder_macs, word_vectors_processed
    config = spec.config.to_dict()
    vectors, macs = 0, 0
    for length, size in zip(lengths, sizes):
        kept = capped_retention(spec, length)
        vectors += size * word_vectors_processed(length, kept)
        macs += size * encoder_macs(config, length, kept)["total"]
    count = float(sum(sizes))
    return {"word_vectors_per_example": vectors / count, "encoder_macs_total": int(macs),
            "encoder_macs_per_example": macs / count}


# ----- timing ------------------------------------------------------------------------

def time_models(models: Sequence[Tuple[str, object]], batches, runs: int, warmup: int,
                xla: bool, verbose: int = 1, say=print) -> Dict[str, Dict]:
    """Warms every model up, then times whole passes, alternating the models.

    Returns:
      name -> {"times": [seconds of each timed pass], "predictions": outputs of the
      first timed pass}.
    """
    from power_bert.padding import run_batches
    results = {name: {"times": [], "predictions": None} for name, _ in models}
    for name, model in models:
        for _ in range(warmup):
            if verbose:
                say("warm-up: %s" % name)
            run_batches(model, batches, xla=xla, verbose=verbose)
    for round_index in range(runs):
        line = []
        for name, model in models:
            start = time.perf_counter()
            out = run_batches(model, batches, xla=xla)
            elapsed = time.perf_counter() - start
            results[name]["times"].append(elapsed)
            if results[name]["predictions"] is None:
                results[name]["predictions"] = out
            line.append("%s %.3f s" % (name, elapsed))
        if verbose:
            say("round %d/%d: %s" % (round_index + 1, runs, ", ".join(line)))
    return results


def machine_info() -> Dict:
    from power_bert.backend import tf
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "tensorflow": tf.__version__,
        "devices": ["%s (%s)" % (d.name, d.device_type) for d in tf.config.list_logical_devices()],
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }


# ----- one padding mode ---------------------------------------------------------------

def run_padding(specs: Sequence[ModelSpec], padding: str, x, y, task, batch_size: int,
                runs: int, warmup: int, xla: bool, verbose: int, say=print) -> Dict:
    """Builds, warms up and times every model with one padding mode; returns its entry of
    ``benchmark.json``."""
    from power_bert.backend import keras
    from power_bert.flops import ideal_speedup
    from power_bert.metrics import compute_metrics
    from power_bert.padding import batch_lengths, batch_slices, prepare_batches
    dynamic = padding == "dynamic"
    keras.backend.clear_session()
    models = [(spec.name, build(spec, dynamic)) for spec in specs]
    batches = prepare_batches(x, batch_size, dynamic)
    lengths = batch_lengths(x, batch_size, dynamic)
    sizes = [s.stop - s.start for s in batch_slices(len(y), batch_size)]
    say("%s padding: %d batches of up to %d examples, average input length %.1f tokens "
        "(max %d)" % (padding, len(batches), batch_size, float(np.dot(lengths, sizes)) / len(y),
                      specs[0].seq_len))
    timings = time_models(models, batches, runs, warmup, xla, verbose, say)
    del models

    num = len(y)
    baseline_spec = specs[0]
    costs = {spec.name: model_cost(spec, lengths, sizes) for spec in specs}
    base_time = float(np.median(timings[baseline_spec.name]["times"]))
    entries = {}
    for spec in specs:
        times = timings[spec.name]["times"]
        median = float(np.median(times))
        metrics = compute_metrics(task, y, timings[spec.name]["predictions"])
        if dynamic or spec.config != baseline_spec.config:
            ideal = (costs[baseline_spec.name]["encoder_macs_total"]
                     / float(costs[spec.name]["encoder_macs_total"]))
        else:
            ideal = ideal_speedup(spec.config.to_dict(), spec.seq_len,
                                  spec.retention or [spec.seq_len] * spec.config.num_hidden_layers)
        speedup = base_time / median
        entries[spec.name] = {
            "label": spec.label,
            "checkpoint": os.path.abspath(spec.weights),
            "mode": spec.meta["mode"],
            "retention_configuration": spec.retention,
            "metric_name": task.main_metric,
            "metric": round(100.0 * metrics[task.main_metric], 2),
            "metrics": {k: round(100.0 * v, 2) for k, v in metrics.items()},
            "seconds_per_example": median / num,
            "seconds_total_median": median,
            "all_times": [float(t) for t in times],
            "word_vectors_per_example": _number(costs[spec.name]["word_vectors_per_example"]),
            "encoder_macs_per_example": _number(costs[spec.name]["encoder_macs_per_example"]),
            "speedup": speedup,
            "ideal_speedup": ideal,
            "speedup_over_ideal": speedup / ideal,
        }
    power = entries[POWER]
    entry = {
        "padding": padding,
        "average_batch_length": float(np.dot(lengths, sizes)) / num,
        "batch_lengths": [int(l) for l in lengths],
        "speedup": power["speedup"],
        "ideal_speedup": power["ideal_speedup"],
        "speedup_over_ideal": power["speedup_over_ideal"],
        BASELINE: entries[BASELINE],
        POWER: power,
        "extra": {name: value for name, value in entries.items() if name not in (BASELINE, POWER)},
    }
    return entry


def _number(value: float):
    """An int when the value is whole (fixed padding), else a float."""
    return int(value) if float(value).is_integer() else float(value)


# ----- reports ------------------------------------------------------------------------

def markdown_table(result: Dict) -> str:
    """One row per model and padding mode."""
    metric = result[BASELINE]["metric_name"]
    head = ("Inference on the %s dev set (%d examples), batch %d, median of %d runs%s; %s, "
            "%d CPUs, TensorFlow %s.\n\n"
            % (result["task"], result["num_examples"], result["batch_size"], result["num_runs"],
               ", XLA" if result["xla"] else "", result["machine"]["platform"],
               result["machine"]["cpu_count"], result["machine"]["tensorflow"]))
    rows = ["| Padding | Model | %s | ms / example | Word vectors / example | Speed-up "
            "| Ideal | Measured / ideal |" % metric,
            "|---|---|---:|---:|---:|---:|---:|---:|"]
    for run in result["runs"]:
        models = [run[BASELINE], run[POWER]] + list(run["extra"].values())
        for model in models:
            rows.append("| %s | %s | %.2f | %.3f | %s | %.2fx | %.2fx | %.2f |" % (
                run["padding"], model["label"], model["metric"],
                1000.0 * model["seconds_per_example"],
                _format_vectors(model["word_vectors_per_example"]), model["speedup"],
                model["ideal_speedup"], model["speedup_over_ideal"]))
    notes = ("\nSpeed-up: baseline median time / model median time, same padding. Ideal: "
             "encoder multiply-accumulates of the baseline / of the model. Dynamic padding "
             "counts each example at its batch's length.\n")
    return head + "\n".join(rows) + "\n" + notes


def _format_vectors(value) -> str:
    return "%d" % value if isinstance(value, int) else "%.1f" % value


def plot(result: Dict, path: str):
    """Metric against milliseconds per example, one labelled point per model and padding."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    markers = {"fixed": "o", "dynamic": "s"}
    colours = {}
    # Points often share a metric value: stagger the labels above and below them.
    offsets = [8, -14, 20, -26]
    figure, axes = plt.subplots(figsize=(7, 4.5))
    index = 0
    for run in result["runs"]:
        models = [run[BASELINE], run[POWER]] + list(run["extra"].values())
        for model in models:
            colour = colours.setdefault(model["label"], "C%d" % len(colours))
            ms = 1000.0 * model["seconds_per_example"]
            axes.scatter([ms], [model["metric"]], marker=markers[run["padding"]], s=50,
                         color=colour)
            axes.annotate("%s (%s)" % (model["label"], run["padding"]), (ms, model["metric"]),
                          textcoords="offset points", xytext=(4, offsets[index % len(offsets)]),
                          fontsize=8, color=colour)
            index += 1
    axes.set_xlabel("milliseconds per example (median, batch %d)" % result["batch_size"])
    axes.set_ylabel("%s (dev, x100)" % result[BASELINE]["metric_name"])
    axes.set_title("%s: %s vs inference time" % (result["task"], result[BASELINE]["metric_name"]))
    axes.grid(True, alpha=0.3)
    axes.margins(0.2)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


# ----- command line -------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one "error: ..." line and exit status 2."""

    def error(self, message):
        print("error: %s" % message, file=sys.stderr)
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m power_bert.benchmark",
                description="Time fine-tuned BERT against PoWER-BERT on a task's dev set.")
    p.add_argument("--BASELINE", required=True,
                   help="fine-tuned model: OUTPUT_DIR/finetune.hdf5 (its .json beside it)")
    p.add_argument("--POWER", required=True, help="PoWER-BERT model: OUTPUT_DIR/retrain.hdf5")
    p.add_argument("--TASK", help="task of the dev set (default: the models' task)")
    p.add_argument("--DATA_DIR", required=True, help="folder with the task's dev.tsv")
    p.add_argument("--VOCAB_PATH", help="vocab.txt (default: the one saved with the baseline)")
    p.add_argument("--BATCH_SIZE", type=int, default=128, help="inference batch (default 128)")
    p.add_argument("--RUNS", type=int, default=5, help="timed rounds (default 5)")
    p.add_argument("--WARMUP", type=int, default=1, help="untimed passes per model (default 1)")
    p.add_argument("--PADDING", choices=("fixed", "dynamic", "both"), default="fixed",
                   help="fixed: every batch at the task's max length (paper); dynamic: every "
                        "batch cut to its longest example; both (default fixed)")
    p.add_argument("--XLA", action="store_true",
                   help="compile the inference functions with XLA (jit_compile=True)")
    p.add_argument("--MAX_EXAMPLES", type=int, help="use the first N dev examples")
    p.add_argument("--OUTPUT", default="benchmark.json",
                   help="results file (default benchmark.json); a .md table is written beside it")
    p.add_argument("--PLOT", help="write metric vs time per example to this image (e.g. plot.png)")
    p.add_argument("--EXTRA", nargs="+", action="extend", default=[], metavar="NAME=PATH",
                   help="more models in the rotation, e.g. lambda3e-3=out/l3/retrain.hdf5")
    p.add_argument("--VERBOSE", type=int, choices=(0, 1, 2), default=1,
                   help="1: progress bars in the warm-up and one line per round (default)")
    return p


def validate_args(args) -> List[Tuple[str, str, str]]:
    """Checks the numbers and parses --EXTRA; returns (name, path, flag) per model."""
    for flag, value, low in (("--BATCH_SIZE", args.BATCH_SIZE, 1), ("--RUNS", args.RUNS, 1),
                             ("--WARMUP", args.WARMUP, 0)):
        if value < low:
            raise BenchmarkError("%s must be at least %d, got %d" % (flag, low, value))
    if args.MAX_EXAMPLES is not None and args.MAX_EXAMPLES < 1:
        raise BenchmarkError("--MAX_EXAMPLES must be at least 1, got %d" % args.MAX_EXAMPLES)
    models = [(BASELINE, args.BASELINE, "--BASELINE"), (POWER, args.POWER, "--POWER")]
    for item in args.EXTRA:
        name, sep, path = item.partition("=")
        name, path = name.strip(), path.strip()
        if not sep or not name or not path:
            raise BenchmarkError("--EXTRA takes NAME=PATH (e.g. lambda3e-3=out/retrain.hdf5), "
                                 "got %r" % item)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name):
            raise BenchmarkError("--EXTRA name %r may hold only letters, digits, '.', '_' and "
                                 "'-' (it names the model's TensorFlow scope), e.g. "
                                 "lambda3e-3_lrs1e-2" % name)
        if name in [m[0] for m in models]:
            raise BenchmarkError("--EXTRA name %r is used twice (baseline and power_bert are "
                                 "taken)" % name)
        models.append((name, path, "--EXTRA %s" % name))
    return models


def benchmark(args, say=print) -> Dict:
    """Runs the benchmark the parsed flags ask for and writes its files.

    Returns:
      The content of benchmark.json.

    Raises:
      BenchmarkError, CheckpointError, ConfigError, DataError: unusable flags or files.
    """
    from power_bert.data import DataParser, check_vocab
    wanted = validate_args(args)
    specs = [load_spec(name, path, flag) for name, path, flag in wanted]
    task, seq_len, cased = check_same_task(specs, args.TASK)
    vocab_path = args.VOCAB_PATH or specs[0].meta.get("vocab_path")
    if not vocab_path:
        raise BenchmarkError("--VOCAB_PATH is required: the baseline's metadata names no "
                             "vocabulary")
    if not os.path.isfile(vocab_path):
        raise BenchmarkError("vocabulary not found: %s" % vocab_path)
    check_vocab(vocab_path, specs[0].config.vocab_size, "the models")
    parser = DataParser(vocab_path, task, args.DATA_DIR, max_seq_len=seq_len, cased=cased)
    x, y = parser.get_dev_data(max_examples=args.MAX_EXAMPLES)
    say("%s dev: %d examples of up to %d tokens; models: %s"
        % (task.name, len(y), seq_len, ", ".join("%s (%s)" % (s.name, s.path) for s in specs)))

    paddings = list(PADDINGS) if args.PADDING == "both" else [args.PADDING]
    runs = [run_padding(specs, padding, x, y, task, args.BATCH_SIZE, args.RUNS, args.WARMUP,
                        args.XLA, args.VERBOSE, say) for padding in paddings]
    first = runs[0]
    result = {
        "task": task.name,
        "batch_size": args.BATCH_SIZE,
        "num_examples": int(len(y)),
        "seq_len": seq_len,
        "num_runs": args.RUNS,
        "warmup": args.WARMUP,
        "xla": bool(args.XLA),
        "machine": machine_info(),
        "retention_configuration": specs[1].retention,
        "padding": first["padding"],
        "speedup": first["speedup"],
        "ideal_speedup": first["ideal_speedup"],
        "speedup_over_ideal": first["speedup_over_ideal"],
        "average_batch_length": first["average_batch_length"],
        BASELINE: first[BASELINE],
        POWER: first[POWER],
        "extra": first["extra"],
        "runs": runs,
        "definitions": {
            "runs": "one entry per padding mode; the top-level fields repeat the first "
                    "(fixed when it ran)",
            "all_times": "seconds of each timed pass over the whole dev set",
            "seconds_per_example": "median of all_times / num_examples",
            "speedup": "baseline median / model median, same padding mode",
            "ideal_speedup": "baseline encoder MACs / model encoder MACs (flops.encoder_macs)",
            "word_vectors_per_example": "vectors entering the feed-forward networks, summed "
                                        "over encoders; dynamic padding: dev-set average with "
                                        "each example at its batch's length T_b, i.e. L*T_b "
                                        "for the baseline and sum_j min(l_j, T_b) for "
                                        "PoWER-BERT",
            "metric": "task's main dev metric x100 (GLUE leaderboard style)",
        },
    }
    write_outputs(result, args.OUTPUT, args.PLOT, say)
    return result


def write_outputs(result: Dict, output: str, plot_path: Optional[str], say=print):
    folder = os.path.dirname(os.path.abspath(output))
    os.makedirs(folder, exist_ok=True)
    with open(output, "w", encoding="utf-8") as writer:
        json.dump(result, writer, indent=2)
        writer.write("\n")
    table = markdown_table(result)
    md_path = os.path.splitext(output)[0] + ".md"
    with open(md_path, "w", encoding="utf-8") as writer:
        writer.write(table)
    say("")
    say(table)
    say("results written to %s and %s" % (output, md_path))
    if plot_path:
        plot_folder = os.path.dirname(os.path.abspath(plot_path))
        os.makedirs(plot_folder, exist_ok=True)
        plot(result, plot_path)
        say("plot written to %s" % plot_path)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from power_bert.errors import USER_ERRORS
    try:
        benchmark(args)
    except USER_ERRORS + (BenchmarkError,) as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
