"""The benchmark engine: the models in the rotation, one measurement per padding mode and
one results document, for checkpoints (``benchmark``), for random-weight models of a
shape (``shape_benchmark``) and against other engines (``peer_benchmark``).

Flags are parsed in ``commands/benchmark.py``; this module takes checked options
(``BenchmarkOptions``, ``shapes.ShapeOptions``) and neither reads nor knows a flag name
except in its messages. A padding mode is measured the same way in every mode
(``run_padding``): batches are cut once, the models are built for the mode, warmed up and
timed interleaved (``timing.time_models``), and each model's entry is its own fields
(checkpoint, metric; or none) followed by the timing fields (``timing_entry``).
"""
import dataclasses
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from power_bert.benchmark import shapes
from power_bert.benchmark.report import BASELINE, LABELS, POWER, write_outputs
from power_bert.documents import BenchmarkResult, ModelTiming, PaddingRun
from power_bert.errors import BenchmarkError
from power_bert.runtime import (INFERENCE_SORT_BY_LENGTH, INFERENCE_XLA,  # (shared with eval)
                                PADDING_BUCKETS)

PADDINGS = ("fixed", "dynamic")
# The benchmark times the path evaluation and prediction run: no XLA (runtime.INFERENCE_XLA).
# With the projections and the feed-forward as fused 2-D oneDNN products, TensorFlow's
# graph mode runs BERT faster than XLA on a CPU and PoWER-BERT as fast, warm passes
# included (benchmarks/README.md, "Where the time goes on this CPU"); --XLA true times XLA.
BENCHMARK_XLA = INFERENCE_XLA

Say = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class BenchmarkOptions:
    """What to time and how (``commands/benchmark.py`` checks the flags into these).

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
      peers: engines to time against (``peers.PEERS``); empty: the checkpoint benchmark.
      retention_configuration: with ``peers``, the l_j to apply to the baseline for
        PoWER-BERT (None: the --POWER model is PoWER-BERT).
      sort_by_length: dynamic padding batches the examples sorted by real length, as
        eval and predict do (``inference.batch_order``).
      from_text: with ``peers``, time from raw text to outputs (``text``).
      hf_tokenizer: with ``from_text``, the HF model folder of HF's tokenizer (None: the
        baseline's vocab.txt).
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
    retention_configuration: Optional[Tuple[int, ...]] = None
    sort_by_length: bool = INFERENCE_SORT_BY_LENGTH
    from_text: bool = False
    hf_tokenizer: Optional[str] = None


# ----- the models in the rotation -------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class TimedModel:
    """A model in the rotation: its name in the results, its label in the tables, its
    sizes and the l_j it applies (None: it drops nothing); ``trained`` is the opened
    checkpoint (None for a random-weight model of a shape)."""
    name: str
    config: Any
    retention_configuration: Optional[List[int]]
    trained: Any = None  # trained.TrainedModel

    @property
    def label(self) -> str:
        return LABELS.get(self.name, self.name)

    @property
    def checkpoint(self):
        return self.trained.checkpoint

    @classmethod
    def of(cls, name: str, trained) -> "TimedModel":
        checkpoint = trained.checkpoint
        return cls(name, checkpoint.config, checkpoint.applied_retention, trained)


def open_models(options: BenchmarkOptions) -> List[TimedModel]:
    """Opens every checkpoint of ``options.models``: reads them all, checks that they are
    of one task, length, casing and vocabulary size, then checks each for the dev set
    (``trained.check_trained``: --TASK, and --VOCAB_PATH or the vocabulary the baseline
    records).

    Raises:
      BenchmarkError: naming the flag of the model at fault.
    """
    from power_bert.checkpoint import file_sha256
    from power_bert.trained import check_trained, model_name, read_checkpoint
    read = []
    for name, path, flag in options.models:
        checkpoint = read_checkpoint(path, flag, BenchmarkError)
        read.append((name, model_name(checkpoint, flag), checkpoint))
    check_same_models(read)
    (name, what, checkpoint), others = read[0], read[1:]
    baseline = check_trained(checkpoint, what, options.task, options.vocab_path,
                             error=BenchmarkError)
    sha256 = file_sha256(baseline.vocab_path)
    return [TimedModel.of(name, baseline)] + [
        TimedModel.of(name, check_trained(checkpoint, what, options.task, baseline.vocab_path,
                                          error=BenchmarkError, vocab_sha256=sha256))
        for name, what, checkpoint in others]


def check_same_models(models: Sequence[Tuple[str, str, Any]]):
    """The models, (name, what, StageCheckpoint), must be of one task, length, casing and
    vocabulary size."""
    first_name, first_what, first = models[0]
    for name, what, checkpoint in models[1:]:
        for key, title in (("task", "task"), ("seq_len", "sequence length"),
                           ("cased", "casing (cased)")):
            want, got = getattr(first, key), getattr(checkpoint, key)
            if got != want:
                raise BenchmarkError(
                    "the models must be of the same task: %s (%s) has %s %r but %s (%s) has "
                    "%r" % (first_name, first_what, title, want, name, what, got))
        sizes = first.config.vocab_size, checkpoint.config.vocab_size
        if sizes[0] != sizes[1]:
            raise BenchmarkError("the models must share one vocabulary: %s has %d word "
                                 "pieces, %s has %d" % (first_name, sizes[0], name, sizes[1]))


def load_dev_data(options: BenchmarkOptions, baseline):
    """The dev set of the baseline's (checked) task as ``([token_ids, segment_ids],
    labels)``, [N, seq_len] each."""
    from power_bert.data import DataError, DataParser, find_split_file
    try:
        find_split_file(baseline.task, options.data_dir, "dev")
    except DataError as e:
        raise BenchmarkError("--DATA_DIR: %s" % e) from None
    try:
        parser = DataParser(baseline.vocab_path, baseline.task, options.data_dir,
                            seq_len=baseline.seq_len, cased=baseline.cased)
        return parser.get_dev_data(max_examples=options.max_examples)
    except DataError as e:  # names the file and line
        raise BenchmarkError(str(e)) from None


# ----- one padding mode -----------------------------------------------------------------

def timing_entry(times: Sequence[float], num_examples: int, cost: Dict, baseline_cost: Dict,
                 baseline_time: float) -> Dict:
    """The timing fields of a model's ``ModelTiming`` (besides its own: label,
    checkpoint, ...)."""
    median = float(np.median(times))
    ideal = baseline_cost["encoder_macs_total"] / cost["encoder_macs_total"]  # int / int
    speedup = baseline_time / median
    return {
        "seconds_per_example": median / num_examples,
        "seconds_total_median": median,
        "all_times": [float(t) for t in times],
        "word_vectors_per_example": _number(cost["word_vectors_per_example"]),
        "encoder_macs_per_example": _number(cost["encoder_macs_per_example"]),
        "speedup": speedup,
        "ideal_speedup": ideal,
        "speedup_over_ideal": speedup / ideal,
    }


def _number(value: float):
    """An int when the value is whole (fixed padding), else a float."""
    return int(value) if float(value).is_integer() else float(value)


def run_padding(padding: str, x, models: Sequence[TimedModel],
                build: Callable[[bool], List[Tuple[str, Any]]],
                describe: Callable[[TimedModel, Dict], Dict], options: BenchmarkOptions,
                say: Say = print) -> PaddingRun:
    """Builds, warms up and times every model with one padding mode; returns its entry
    of benchmark.json.

    Args:
      padding: "fixed" or "dynamic".
      x: ``[token_ids, segment_ids]`` int ``[N, seq_len]``.
      models: the rotation, baseline and PoWER-BERT first.
      build: dynamic -> [(name, Keras model)] of the rotation, built for the mode.
      describe: (model, its timing) -> its own ``ModelTiming`` fields (label, ...).
    """
    from power_bert.benchmark.timing import time_models
    from power_bert.flops import model_cost
    from power_bert.inference import (batch_lengths, batch_order, batch_slices, padding_bucket,
                                      prepare_batches)
    dynamic, num_examples = padding == "dynamic", len(x[0])
    bucket = padding_bucket(options.padding_buckets, options.xla)
    order = batch_order(x, dynamic, options.sort_by_length)
    batches = prepare_batches(x, options.batch_size, dynamic, bucket, order)
    lengths = batch_lengths(x, options.batch_size, dynamic, bucket, order)
    sizes = [s.stop - s.start for s in batch_slices(num_examples, options.batch_size)]
    average = float(np.dot(lengths, sizes)) / num_examples
    say("%s padding: %d batches of up to %d examples%s, average input length %.1f tokens "
        "(max %d)" % (padding, len(batches), options.batch_size,
                      "" if order is None else " sorted by length", average, x[0].shape[1]))
    built = build(dynamic)
    timings = time_models(built, batches, options.runs, options.warmup, options.xla,
                          options.verbose, say, order)
    del built  # (the models are freed before the next mode builds its own)
    costs = {m.name: model_cost(m.config, m.retention_configuration, lengths, sizes)
             for m in models}
    baseline_time = float(np.median(timings[BASELINE]["times"]))
    return PaddingRun(
        padding=padding, average_batch_length=average, sorted_by_length=order is not None,
        batch_lengths=[int(length) for length in lengths],
        models={m.name: ModelTiming(**describe(m, timings[m.name]), **timing_entry(
            timings[m.name]["times"], num_examples, costs[m.name], costs[BASELINE],
            baseline_time)) for m in models})


# ----- the results document -------------------------------------------------------------

def result_document(setup: Dict, options: BenchmarkOptions,
                    retention_configuration: Optional[List[int]],
                    runs: List[PaddingRun]) -> BenchmarkResult:
    """benchmark.json: ``setup`` (what was timed: task or shape, examples, length), how it
    was timed (the options, the machine), PoWER-BERT's retention configuration and the
    runs. The mixed-precision policy only when it is not float32, so float32 results keep
    the keys of those written before the flag."""
    from power_bert.benchmark.timing import machine_info
    return BenchmarkResult(
        **setup, batch_size=options.batch_size, num_runs=options.runs, warmup=options.warmup,
        xla=bool(options.xla), machine=machine_info(),
        retention_configuration=retention_configuration,
        runs=runs, mixed_precision=(None if options.mixed_precision == "none"
                                    else options.mixed_precision))


# ----- the three benchmarks ------------------------------------------------------------

def benchmark(options: BenchmarkOptions, say: Say = print) -> BenchmarkResult:
    """Times the checkpoints of ``options`` on the dev set and writes OUTPUT, its table
    and the plot.

    Returns:
      benchmark.json's content.

    Raises:
      PowerBertError (BenchmarkError, ...): unusable flags or files, all found before
        any model is built.
    """
    from power_bert.backend import keras
    from power_bert.metrics import compute_metrics
    models = open_models(options)
    baseline = models[0].trained
    x, y = load_dev_data(options, baseline)
    task = baseline.task
    say("%s dev: %d examples of up to %d tokens; models: %s"
        % (task.name, len(y), baseline.seq_len,
           ", ".join("%s (%s)" % (m.name, m.checkpoint.weights_path) for m in models)))

    def build(dynamic: bool):
        keras.backend.clear_session()
        return [(m.name, m.trained.load(dynamic=dynamic, name=m.name)) for m in models]

    def describe(model: TimedModel, timing: Dict) -> Dict:
        metrics = compute_metrics(task, y, timing["predictions"])
        return {
            "label": model.label,
            "checkpoint": os.path.abspath(model.checkpoint.weights_path),
            "mode": model.checkpoint.mode,
            "retention_configuration": model.retention_configuration,
            "metric_name": task.main_metric,
            "metric": round(100.0 * metrics[task.main_metric], 2),
            "metrics": {k: round(100.0 * v, 2) for k, v in metrics.items()},
        }

    runs = [run_padding(padding, x, models, build, describe, options, say)
            for padding in options.paddings]
    setup = dict(task=task.name, num_examples=int(len(y)), seq_len=baseline.seq_len)
    result = result_document(setup, options, models[1].retention_configuration, runs)
    write_outputs(result, options.output, options.plot, say)
    return result


def shape_benchmark(shape: "shapes.ShapeOptions", options: BenchmarkOptions,
                    say: Say = print) -> BenchmarkResult:
    """Times BERT against PoWER-BERT at ``shape`` (random weights, synthetic token ids)
    and writes OUTPUT and its table.

    Returns:
      benchmark.json's content.
    """
    config = shape.config
    x = shapes.synthetic_inputs(shape.num_examples, shape.seq_len, shape.lengths,
                                config.vocab_size, shape.seed)
    say("%s: %d encoders, hidden %d, %d heads, intermediate %d; %d synthetic examples of "
        "%s tokens (max %d); retention configuration %s"
        % (shapes.TIMING_ONLY, config.num_hidden_layers, config.hidden_size,
           config.num_attention_heads, config.intermediate_size, shape.num_examples,
           shape.lengths_text, shape.seq_len, ",".join(map(str, shape.retention_configuration))))
    models = [TimedModel(BASELINE, config, None),
              TimedModel(POWER, config, list(shape.retention_configuration))]

    def describe(model: TimedModel, timing: Dict) -> Dict:
        return {"label": model.label, "retention_configuration": model.retention_configuration}

    runs = [run_padding(padding, x, models, lambda dynamic: shapes.build_models(shape, dynamic),
                        describe, options, say) for padding in options.paddings]
    setup = dict(task=None, num_examples=shape.num_examples, seq_len=shape.seq_len,
                 timing_only=True, note=shapes.TIMING_ONLY, bert_config=config.to_dict(),
                 bert_config_path=shape.config_path, lengths=shape.lengths_text,
                 seed=shape.seed)
    result = result_document(setup, options, list(shape.retention_configuration), runs)
    write_outputs(result, options.output, None, say)
    return result


def peer_benchmark(options: BenchmarkOptions, say: Say = print) -> Dict:
    """``--PEERS``: this project's BERT and PoWER-BERT against the peers' engines on the
    dev set (``peers.run_peers``); writes OUTPUT and its table.

    Raises:
      PowerBertError: unusable flags or files, an optional package missing, or engines of
        one model that disagree (nothing is timed then).
    """
    from power_bert.benchmark import peers
    from power_bert.trained import apply_overrides
    models = open_models(options)
    baseline = models[0].trained
    if options.retention_configuration is not None:
        power = dataclasses.replace(baseline, what="--RETENTION_CONFIG", checkpoint=(
            apply_overrides(baseline.checkpoint, options.retention_configuration,
                            error=BenchmarkError)))
        models.append(TimedModel.of(POWER, power))
    power = models[1]
    if power.retention_configuration is None:
        raise BenchmarkError("%s drops no word vectors (mode %s): give a re-trained "
                             "model (retrain.hdf5) or --RETENTION_CONFIG"
                             % (power.trained.what, power.checkpoint.mode))
    peers.check_peer_packages(options.peers)  # before the dev set is read
    x, y = load_dev_data(options, baseline)
    texts = None
    if options.from_text:
        from power_bert.benchmark.text import dev_texts
        texts = dev_texts(baseline.task, options.data_dir, len(y))
    say("%s dev: %d examples of up to %d tokens, batch %d%s; PoWER-BERT retention "
        "configuration %s" % (baseline.task.name, len(y), baseline.seq_len, options.batch_size,
                              ", from raw text" if texts else "",
                              ",".join(map(str, power.retention_configuration))))
    result = peers.run_peers(options, options.peers, baseline.checkpoint, power.checkpoint,
                             x, y, baseline.task, options.padding_buckets, say,
                             baseline.vocab_path, texts)
    peers.write_peer_outputs(result, options.output, say)
    return result


def run(options: BenchmarkOptions, shape: Optional["shapes.ShapeOptions"] = None,
        say: Say = print):
    """The benchmark the options ask for (``shape``: at a shape, with random weights),
    every model built under the --MIXED_PRECISION policy for inference; returns its
    document."""
    from power_bert.precision import policy
    with policy(options.mixed_precision, inference=True):
        if shape is not None:
            return shape_benchmark(shape, options, say)
        if options.peers:
            return peer_benchmark(options, say)
        return benchmark(options, say)


__all__ = ["PADDINGS", "BENCHMARK_XLA", "BenchmarkOptions", "TimedModel", "open_models",
           "check_same_models", "load_dev_data", "timing_entry", "run_padding",
           "result_document", "benchmark", "shape_benchmark",
           "peer_benchmark", "run"]
