"""The benchmark's command line: ``power-bert benchmark`` / ``python -m power_bert.benchmark``.

Flags are checked in this order, and the first problem ends the command with one
``error: ...`` line and exit status 2 before anything is loaded or written: numbers,
--EXTRA names, paths (checkpoints, DATA_DIR, VOCAB_PATH, OUTPUT, PLOT),
then the models' metadata (one task, length, casing and vocabulary), the dev file and
the vocabulary. Only then are the dev set and the models loaded.

Every check above runs without TensorFlow, which is first imported when the dev set is
tokenised (keras-bert): a bad flag or file fails at once, with nothing but its line.
"""
import argparse
import dataclasses
import os
import re
from typing import TYPE_CHECKING, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from power_bert.benchmark import peers, shapes
from power_bert.benchmark.report import (BASELINE, LABELS, POWER, markdown_path,
                                         plot_formats, write_outputs)
from power_bert.documents import BenchmarkResult, ModelTiming, PaddingRun
from power_bert.errors import BenchmarkError, CheckpointError, UsageError
from power_bert.options import PADDING_BUCKETS, PRECISIONS, parse_switch

if TYPE_CHECKING:
    from power_bert.checkpoint import StageCheckpoint
    from power_bert.tasks import TaskSpec

PADDINGS = ("fixed", "dynamic")
# The benchmark times warm passes (after a warm-up that compiles), as a served model runs:
# there XLA is the faster path (issue 9: 1.6x for BERT on MRPC dev, batch 128), so it is
# the default; eval/predict, which pay the compilation, default to no XLA
# (options.INFERENCE_XLA).
BENCHMARK_XLA = True
_EXTRA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


# ----- flags -------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser, command: str = "benchmark"):
    """Adds the benchmark's flags (those of the first release) to ``parser``, a
    ``power_bert.cli.Parser``; ``command`` (the name it runs under) changes nothing."""
    p = parser
    p.add_argument("--BASELINE",
                   help="fine-tuned model: OUTPUT_DIR/finetune.hdf5 (its .json beside it)")
    p.add_argument("--POWER", help="PoWER-BERT model: OUTPUT_DIR/retrain.hdf5")
    p.add_argument("--TASK", help="task of the dev set (default: the models' task)")
    p.add_argument("--DATA_DIR", help="the task's GLUE folder (dev.tsv, or "
                                                   "the nyu-mll/glue parquet files)")
    p.add_argument("--VOCAB_PATH", help="vocab.txt (default: the one saved with the baseline)")
    p.add_argument("--BATCH_SIZE", type=int, default=128,
                   help="inference batch, >= 1 (default 128)")
    p.add_argument("--RUNS", type=int, default=5, help="timed rounds, >= 1 (default 5)")
    p.add_argument("--WARMUP", type=int, default=1,
                   help="untimed passes per model, >= 0 (default 1)")
    p.add_argument("--PADDING", choices=("fixed", "dynamic", "both"), default="fixed",
                   help="fixed: every batch at the task's max length (paper); dynamic: every "
                        "batch cut to its longest example; both (default fixed)")
    p.add_argument("--XLA", nargs="?", const="true", metavar="true|false",
                   help="compile the inference functions with XLA (jit_compile=True); "
                        "default true: warm passes are timed (the flag alone means true)")
    p.add_argument("--PADDING_BUCKETS", type=int, default=PADDING_BUCKETS,
                   help="dynamic padding with XLA: round each batch's length up to a "
                        "multiple of this, >= 1 (default %d)" % PADDING_BUCKETS)
    p.add_argument("--PEERS", nargs="+", choices=peers.PEERS, default=[],
                   help="also time what users run otherwise: hf (Hugging Face "
                        "transformers on PyTorch, requirements-peers.txt), savedmodel (the "
                        "PoWER-BERT model exported as a SavedModel), onnx (exported to ONNX "
                        "Runtime, requirements-onnx.txt), any of them, against this "
                        "project's BERT (--BASELINE) and PoWER-BERT (--POWER, or "
                        "--RETENTION_CONFIG applied to the baseline)")
    p.add_argument("--MIXED_PRECISION", type=str.lower, choices=PRECISIONS, default="none",
                   help="none (default), float16 or bfloat16: build the models under the Keras "
                        "mixed-precision policy (as training's --MIXED_PRECISION)")
    p.add_argument("--MAX_EXAMPLES", type=int, help="use the first N dev examples, >= 1")
    p.add_argument("--OUTPUT", default="benchmark.json",
                   help="results file (default benchmark.json); a .md table is written beside it")
    p.add_argument("--PLOT", help="write metric vs time per example to this image (e.g. plot.png)")
    p.add_argument("--EXTRA", nargs="+", action="extend", default=[], metavar="NAME=PATH",
                   help="more models in the rotation, e.g. lambda3e-3=out/l3/retrain.hdf5")
    p.add_argument("--VERBOSE", type=int, choices=(0, 1, 2), default=1,
                   help="1: progress bars in the warm-up and one line per round (default)")
    shapes.add_arguments(p)


@dataclasses.dataclass(frozen=True)
class BenchmarkOptions:
    """The flags, checked (``options_from_args``).

    Attributes:
      models: (name in the results, path, flag) of the baseline, PoWER-BERT and every
        --EXTRA model, in the order they take turns.
      data_dir: the task's DATA_DIR.
      task: the task of the dev set, or None for the models' task.
      vocab_path: vocab.txt, or None for the one recorded with the baseline.
      paddings: "fixed" and/or "dynamic", in the order they run.
      output: benchmark.json; the Markdown table goes beside it.
      plot: image of metric against time per example, or None.
      mixed_precision: "none", "float16" or "bfloat16" (``precision.policy``).
    """
    models: Tuple[Tuple[str, str, str], ...]
    data_dir: str
    task: Optional[str] = None
    vocab_path: Optional[str] = None
    batch_size: int = 128
    runs: int = 5
    warmup: int = 1
    paddings: Tuple[str, ...] = ("fixed",)
    xla: bool = BENCHMARK_XLA
    max_examples: Optional[int] = None
    output: str = "benchmark.json"
    plot: Optional[str] = None
    verbose: int = 1
    mixed_precision: str = "none"
    padding_buckets: int = PADDING_BUCKETS
    peers: Tuple[str, ...] = ()
    retention: Optional[Tuple[int, ...]] = None  # --PEERS: PoWER-BERT from the baseline


# flag -> smallest value
_LOWEST = {"--BATCH_SIZE": 1, "--RUNS": 1, "--WARMUP": 0, "--MAX_EXAMPLES": 1,
           "--PADDING_BUCKETS": 1}


def _check_numbers(args: argparse.Namespace):
    """Every number flag in its range (argparse has made them integers)."""
    for flag, low in _LOWEST.items():
        value = getattr(args, flag[2:])
        if value is not None and value < low:
            raise BenchmarkError("%s must be at least %d, got %d" % (flag, low, value))
    try:
        args.XLA = parse_switch(args.XLA, "--XLA")
    except UsageError as e:
        raise BenchmarkError(str(e)) from None
    if args.XLA is None:
        args.XLA = BENCHMARK_XLA


def _extra_models(items: Sequence[str]) -> List[Tuple[str, str, str]]:
    """(name, path, flag) of every --EXTRA NAME=PATH."""
    models, taken = [], [BASELINE, POWER]
    for item in items:
        name, sep, path = item.partition("=")
        name, path = name.strip(), path.strip()
        if not sep or not name or not path:
            raise BenchmarkError("--EXTRA takes NAME=PATH (e.g. lambda3e-3=out/retrain.hdf5), "
                                 "got %r" % item)
        if not _EXTRA_NAME.fullmatch(name):
            raise BenchmarkError("--EXTRA name %r may hold only letters, digits, '.', '_' and "
                                 "'-' (it names the model's TensorFlow scope), e.g. "
                                 "lambda3e-3_lrs1e-2" % name)
        if name in taken:
            raise BenchmarkError("--EXTRA name %r is used twice (baseline and power_bert are "
                                 "taken)" % name)
        taken.append(name)
        models.append((name, path, "--EXTRA %s" % name))
    return models


def options_from_args(args: argparse.Namespace) -> BenchmarkOptions:
    """Checks the parsed flags: numbers, then --EXTRA, then every path.

    Raises:
      BenchmarkError: a number out of its range, an --EXTRA item, or a path that is
        missing or of the wrong kind; the message names the flag.
    """
    _check_numbers(args)
    retention = peer_retention(args) if args.PEERS else None
    if args.BERT_CONFIG is None:
        if not args.PEERS:
            shapes.refuse_shape_flags(args)
        for flag in ("--BASELINE", "--POWER", "--DATA_DIR"):
            if flag == "--POWER" and retention is not None:
                continue
            if not getattr(args, flag[2:]):
                raise BenchmarkError("%s is required (or time random-weight models of a "
                                     "shape with --BERT_CONFIG and --RETENTION_CONFIG)" % flag)
    models = ((BASELINE, args.BASELINE, "--BASELINE"),
              *(() if retention is not None else ((POWER, args.POWER, "--POWER"),)),
              *_extra_models(args.EXTRA))
    options = BenchmarkOptions(
        models=models, data_dir=args.DATA_DIR, task=args.TASK, vocab_path=args.VOCAB_PATH,
        batch_size=args.BATCH_SIZE, runs=args.RUNS, warmup=args.WARMUP,
        paddings=PADDINGS if args.PADDING == "both" else (args.PADDING,), xla=bool(args.XLA),
        max_examples=args.MAX_EXAMPLES, output=args.OUTPUT, plot=args.PLOT,
        verbose=args.VERBOSE, mixed_precision=args.MIXED_PRECISION,
        padding_buckets=args.PADDING_BUCKETS, peers=tuple(args.PEERS),
        retention=retention)
    check_paths(options)
    return options


def peer_retention(args: argparse.Namespace) -> Optional[Tuple[int, ...]]:
    """With --PEERS: the --RETENTION_CONFIG to apply to the baseline (None: --POWER is
    the PoWER-BERT model); the flags that mean nothing there are refused."""
    from power_bert.retention import parse_retention_configuration
    for flag, why in (("--BERT_CONFIG", "times checkpoints"), ("--EXTRA", "times one "
                      "PoWER-BERT model"), ("--PLOT", "writes no plot")):
        if shapes.given(args, flag):
            raise BenchmarkError("%s cannot be used with --PEERS, which %s" % (flag, why))
    for flag in shapes.SHAPE_FLAGS[1:]:
        if shapes.given(args, flag):
            raise BenchmarkError("%s is for timing at a shape without checkpoints; with "
                                 "--PEERS give --BASELINE and --RETENTION_CONFIG or --POWER"
                                 % flag)
    if bool(args.RETENTION_CONFIG) == bool(args.POWER):
        raise BenchmarkError("--PEERS needs the PoWER-BERT model: give either --POWER "
                             "(retrain.hdf5) or --RETENTION_CONFIG (applied to --BASELINE), "
                             "not both")
    if not args.RETENTION_CONFIG:
        return None
    try:
        return tuple(parse_retention_configuration(args.RETENTION_CONFIG))
    except ValueError as e:
        raise BenchmarkError("--RETENTION_CONFIG: %s" % e) from None


def _check_writable(flag: str, path: str):
    """``path`` can be created as a file: not a folder, under a writable folder."""
    if os.path.isdir(path):
        raise BenchmarkError("%s %s is a folder, expected a file name" % (flag, path))
    ancestor = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(ancestor):
        ancestor = os.path.dirname(ancestor)
    if not os.path.isdir(ancestor) or not os.access(ancestor, os.W_OK | os.X_OK):
        raise BenchmarkError("%s %s cannot be written: %s is not a writable folder"
                             % (flag, path, ancestor))


def check_paths(options: BenchmarkOptions):
    """Every path flag: files to read exist, files to write can be written."""
    from power_bert.checkpoint import resolve_stage_checkpoint
    for _, path, flag in options.models:
        try:
            resolve_stage_checkpoint(path)
        except CheckpointError as e:
            raise BenchmarkError("%s: %s" % (flag, e)) from None
    if not os.path.isdir(options.data_dir):
        raise BenchmarkError("--DATA_DIR %s is not a folder" % options.data_dir)
    if options.vocab_path is not None and not os.path.isfile(options.vocab_path):
        raise BenchmarkError("--VOCAB_PATH: vocabulary not found: %s" % options.vocab_path)
    if os.path.abspath(markdown_path(options.output)) == os.path.abspath(options.output):
        raise BenchmarkError("--OUTPUT %s: the Markdown table goes beside it as .md; give a "
                             ".json file name" % options.output)
    _check_writable("--OUTPUT", options.output)
    if options.plot:
        try:
            formats = plot_formats()
        except ImportError:
            raise BenchmarkError("--PLOT needs matplotlib (pip install matplotlib)") from None
        extension = os.path.splitext(options.plot)[1].lstrip(".").lower()
        if extension not in formats:
            raise BenchmarkError("--PLOT %s: the file name must end in one of .%s"
                                 % (options.plot, ", .".join(formats)))
        if os.path.abspath(options.plot) in (os.path.abspath(options.output),
                                             os.path.abspath(markdown_path(options.output))):
            raise BenchmarkError("--PLOT %s would overwrite the results" % options.plot)
        _check_writable("--PLOT", options.plot)


# ----- models and data ---------------------------------------------------------------

class TimedModel(NamedTuple):
    """A model in the rotation: its key in the results, the path it was given by and
    its stage checkpoint."""
    name: str
    path: str
    checkpoint: "StageCheckpoint"

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)


def load_checkpoints(options: BenchmarkOptions) -> List[TimedModel]:
    """Reads every model's stage checkpoint metadata (the weights are loaded per
    padding mode)."""
    from power_bert.checkpoint import StageCheckpoint
    models = []
    for name, path, flag in options.models:
        try:
            models.append(TimedModel(name, path, StageCheckpoint.load(path)))
        except CheckpointError as e:
            raise BenchmarkError("%s: %s" % (flag, e)) from None
    return models


def check_same_task(models: Sequence[TimedModel], task_name: Optional[str]
                    ) -> Tuple["TaskSpec", int, bool]:
    """All models must be of one task, length, vocabulary size and casing.

    Returns:
      (TaskSpec of the dev data, seq_len, cased).
    """
    from power_bert.tasks import get_task
    first = models[0]
    for model in models[1:]:
        for key, what in (("task", "task"), ("seq_len", "sequence length"),
                          ("cased", "casing (cased)")):
            want, got = getattr(first.checkpoint, key), getattr(model.checkpoint, key)
            if got != want:
                raise BenchmarkError(
                    "the models must be of the same task: %s (%s) has %s %r but %s (%s) has "
                    "%r" % (first.name, first.path, what, want, model.name, model.path, got))
        sizes = first.checkpoint.config.vocab_size, model.checkpoint.config.vocab_size
        if sizes[0] != sizes[1]:
            raise BenchmarkError("the models must share one vocabulary: %s has %d word "
                                 "pieces, %s has %d" % (first.name, sizes[0], model.name, sizes[1]))
    try:
        model_task = get_task(first.checkpoint.task)
        task = model_task if task_name is None else get_task(task_name)
    except ValueError as e:
        raise BenchmarkError("%s%s" % ("" if task_name is None else "--TASK: ", e)) from None
    label_task = get_task(task.label_task) if task.label_task else task
    if label_task.name != model_task.name:
        raise BenchmarkError("--TASK %s needs %s models, but the models were trained on %s"
                             % (task.name, label_task.name, model_task.name))
    return task, first.checkpoint.seq_len, bool(first.checkpoint.cased)


def check_vocab(models: Sequence[TimedModel], vocab_path: Optional[str]) -> str:
    """The vocabulary to tokenise with: --VOCAB_PATH or the one recorded with the
    baseline; it must be the models' (size, and checksum where recorded)."""
    from power_bert.checkpoint import file_sha256
    from power_bert.data import check_vocab as check_vocab_size
    baseline = models[0].checkpoint
    if vocab_path is None:
        vocab_path = baseline.vocab_path
        if not vocab_path:
            raise BenchmarkError("--VOCAB_PATH is required: the baseline's metadata names no "
                                 "vocabulary")
        if not os.path.isfile(vocab_path):
            raise BenchmarkError("vocabulary not found: %s (recorded with the baseline; give "
                                 "--VOCAB_PATH)" % vocab_path)
    check_vocab_size(vocab_path, baseline.config.vocab_size, "the models")
    sha256 = file_sha256(vocab_path)
    for model in models:
        model.checkpoint.check_vocab(vocab_path, sha256)
    return vocab_path


def load_dev_data(options: BenchmarkOptions, task: "TaskSpec", vocab_path: str,
                  seq_len: int, cased: bool):
    """The dev set as ``([token_ids, segment_ids], labels)``, [N, seq_len] each."""
    from power_bert.data import DataError, DataParser, find_split_file
    try:
        find_split_file(task, options.data_dir, "dev")
    except DataError as e:
        raise BenchmarkError("--DATA_DIR: %s" % e) from None
    try:
        parser = DataParser(vocab_path, task, options.data_dir, max_seq_len=seq_len,
                            cased=cased)
        return parser.get_dev_data(max_examples=options.max_examples)
    except DataError as e:  # names the file and line
        raise BenchmarkError(str(e)) from None


# ----- one padding mode --------------------------------------------------------------

def time_padding(models: Sequence[TimedModel], batches, dynamic: bool,
                 options: BenchmarkOptions, say) -> Dict[str, Dict]:
    """Builds every model for the padding mode, loads its weights and times them
    (``timing.time_models``); the models are freed afterwards."""
    from power_bert.backend import keras
    from power_bert.benchmark.timing import time_models
    keras.backend.clear_session()
    built = [(m.name, m.checkpoint.load_model(dynamic=dynamic, name=m.name)) for m in models]
    timings = time_models(built, batches, options.runs, options.warmup, options.xla,
                          options.verbose, say)
    del built
    return timings


def model_entry(model: TimedModel, task: "TaskSpec", y: np.ndarray, timing: Dict,
                cost: Dict, baseline_cost: Dict, baseline_time: float) -> ModelTiming:
    """A model's entry of a padding mode in benchmark.json."""
    from power_bert.metrics import compute_metrics
    times = timing["times"]
    median = float(np.median(times))
    metrics = compute_metrics(task, y, timing["predictions"])
    ideal = baseline_cost["encoder_macs_total"] / cost["encoder_macs_total"]  # int / int
    speedup = baseline_time / median
    return ModelTiming(
        label=model.label,
        checkpoint=os.path.abspath(model.checkpoint.weights_path),
        mode=model.checkpoint.mode,
        retention_configuration=model.checkpoint.applied_retention,
        metric_name=task.main_metric,
        metric=round(100.0 * metrics[task.main_metric], 2),
        metrics={k: round(100.0 * v, 2) for k, v in metrics.items()},
        seconds_per_example=median / len(y),
        seconds_total_median=median,
        all_times=[float(t) for t in times],
        word_vectors_per_example=_number(cost["word_vectors_per_example"]),
        encoder_macs_per_example=_number(cost["encoder_macs_per_example"]),
        speedup=speedup,
        ideal_speedup=ideal,
        speedup_over_ideal=speedup / ideal,
    )


def _number(value: float):
    """An int when the value is whole (fixed padding), else a float."""
    return int(value) if float(value).is_integer() else float(value)


def run_padding(models: Sequence[TimedModel], padding: str, x, y: np.ndarray,
                task: "TaskSpec", options: BenchmarkOptions, say=print) -> PaddingRun:
    """Builds, warms up and times every model with one padding mode; returns its entry
    of benchmark.json."""
    from power_bert.flops import model_cost
    from power_bert.inference import batch_lengths, batch_slices, padding_bucket, prepare_batches
    dynamic = padding == "dynamic"
    bucket = padding_bucket(options.padding_buckets, options.xla)
    batches = prepare_batches(x, options.batch_size, dynamic, bucket)
    lengths = batch_lengths(x, options.batch_size, dynamic, bucket)
    sizes = [s.stop - s.start for s in batch_slices(len(y), options.batch_size)]
    average = float(np.dot(lengths, sizes)) / len(y)
    say("%s padding: %d batches of up to %d examples, average input length %.1f tokens "
        "(max %d)" % (padding, len(batches), options.batch_size, average,
                      models[0].checkpoint.seq_len))
    timings = time_padding(models, batches, dynamic, options, say)
    costs = {m.name: model_cost(m.checkpoint.config, m.checkpoint.applied_retention,
                                lengths, sizes) for m in models}
    baseline_time = float(np.median(timings[BASELINE]["times"]))
    return PaddingRun(padding=padding, average_batch_length=average,
                      batch_lengths=[int(length) for length in lengths],
                      models={m.name: model_entry(m, task, y, timings[m.name], costs[m.name],
                                                  costs[BASELINE], baseline_time)
                              for m in models})


# ----- the whole benchmark -----------------------------------------------------------

def result_document(options: BenchmarkOptions, task: "TaskSpec", seq_len: int,
                    num_examples: int, models: Sequence[TimedModel], runs: List[PaddingRun]
                    ) -> BenchmarkResult:
    """benchmark.json of trained models on a dev set."""
    return BenchmarkResult(
        task=task.name, seq_len=seq_len, num_examples=int(num_examples),
        retention_configuration=models[1].checkpoint.applied_retention, runs=runs,
        **setup_fields(options))


def setup_fields(options: BenchmarkOptions) -> Dict:
    """The ``BenchmarkResult`` fields every benchmark takes from its options and the
    machine (the mixed-precision policy only when it is not float32, so float32 results
    keep the keys of those written before the flag)."""
    from power_bert.benchmark.timing import machine_info
    return dict(batch_size=options.batch_size, num_runs=options.runs, warmup=options.warmup,
                xla=bool(options.xla), machine=machine_info(),
                mixed_precision=None if options.mixed_precision == "none"
                else options.mixed_precision)


def benchmark(options: BenchmarkOptions, say: Callable[[str], None] = print
              ) -> BenchmarkResult:
    """Runs the benchmark the options ask for and writes its files.

    Returns:
      benchmark.json's content.

    Raises:
      PowerBertError (BenchmarkError, CheckpointError, ...): unusable flags or files,
        all found before any model is loaded.
    """
    models = load_checkpoints(options)
    task, seq_len, cased = check_same_task(models, options.task)
    vocab_path = check_vocab(models, options.vocab_path)
    x, y = load_dev_data(options, task, vocab_path, seq_len, cased)
    say("%s dev: %d examples of up to %d tokens; models: %s"
        % (task.name, len(y), seq_len, ", ".join("%s (%s)" % (m.name, m.path) for m in models)))
    runs = [run_padding(models, padding, x, y, task, options, say)
            for padding in options.paddings]
    result = result_document(options, task, seq_len, len(y), models, runs)
    write_outputs(result, options.output, options.plot, say)
    return result


def peer_benchmark(options: BenchmarkOptions, say: Callable[[str], None] = print) -> Dict:
    """``--PEERS``: this project's BERT and PoWER-BERT against the peers' engines on the
    dev set (``peers.run_peers``); writes OUTPUT and its table.

    Raises:
      PowerBertError: unusable flags or files, an optional package missing, or engines of
        one model that disagree (nothing is timed then).
    """
    models = load_checkpoints(options)
    baseline = models[0].checkpoint
    if options.retention is not None:
        try:
            power = baseline.with_retention(options.retention)
        except (ValueError, CheckpointError) as e:
            raise BenchmarkError("--RETENTION_CONFIG: %s" % e) from None
        models.append(TimedModel(POWER, "--RETENTION_CONFIG", power))
    if models[1].checkpoint.applied_retention is None:
        raise BenchmarkError("--POWER %s drops no word vectors (mode %s): give a re-trained "
                             "model (retrain.hdf5) or --RETENTION_CONFIG"
                             % (models[1].path, models[1].checkpoint.mode))
    task, seq_len, cased = check_same_task(models, options.task)
    vocab_path = check_vocab(models, options.vocab_path)
    peers.check_peer_packages(options.peers)  # before the dev set is read
    x, y = load_dev_data(options, task, vocab_path, seq_len, cased)
    say("%s dev: %d examples of up to %d tokens, batch %d; PoWER-BERT retention "
        "configuration %s" % (task.name, len(y), seq_len, options.batch_size,
                              ",".join(map(str, models[1].checkpoint.applied_retention))))
    result = peers.run_peers(options, options.peers, baseline, models[1].checkpoint, x, y,
                             task, options.padding_buckets, say, vocab_path)
    peers.write_peer_outputs(result, options.output, say)
    return result


def shape_benchmark_options(args: argparse.Namespace
                            ) -> Tuple["shapes.ShapeOptions", BenchmarkOptions]:
    """The checked flags of ``--BERT_CONFIG`` timing (random weights, synthetic inputs).

    Raises:
      BenchmarkError: naming the flag.
    """
    _check_numbers(args)
    shape = shapes.shape_options(args)
    options = BenchmarkOptions(
        models=((BASELINE, shape.config_path, "--BERT_CONFIG"),
                (POWER, shape.config_path, "--RETENTION_CONFIG")),
        data_dir="", batch_size=args.BATCH_SIZE, runs=args.RUNS, warmup=args.WARMUP,
        paddings=PADDINGS if args.PADDING == "both" else (args.PADDING,), xla=bool(args.XLA),
        output=args.OUTPUT, verbose=args.VERBOSE, mixed_precision=args.MIXED_PRECISION,
        padding_buckets=args.PADDING_BUCKETS)
    if os.path.abspath(markdown_path(options.output)) == os.path.abspath(options.output):
        raise BenchmarkError("--OUTPUT %s: the Markdown table goes beside it as .md; give a "
                             ".json file name" % options.output)
    _check_writable("--OUTPUT", options.output)
    return shape, options


def run(args: argparse.Namespace) -> int:
    """``power-bert benchmark``: checks the flags, runs, writes the files; returns 0.

    Raises:
      PowerBertError: anything the user can fix (one ``error:`` line, exit status 2).
    """
    if args.BERT_CONFIG is not None and not args.PEERS:
        shape, options = shape_benchmark_options(args)
        timed = lambda: shapes.benchmark(shape, options)  # noqa: E731
    else:
        options = options_from_args(args)
        if options.peers and options.mixed_precision != "none":
            raise UsageError("--PEERS compares float32 models (HF transformers runs in "
                             "float32); leave out --MIXED_PRECISION")
        timed = (lambda: peer_benchmark(options)) if options.peers else (  # noqa: E731
            lambda: benchmark(options))
    from power_bert.precision import policy
    with policy(options.mixed_precision):  # every model is built under it
        timed()
    return 0


__all__ = ["PADDINGS", "add_arguments", "BenchmarkOptions", "options_from_args",
           "check_paths", "TimedModel", "load_checkpoints", "check_same_task", "check_vocab",
           "load_dev_data", "time_padding", "model_entry", "run_padding", "result_document",
           "setup_fields", "benchmark", "peer_retention", "peer_benchmark",
           "shape_benchmark_options", "run"]
