"""Timing at a model's shape, without a checkpoint: ``power-bert benchmark --BERT_CONFIG``.

  power-bert benchmark --BERT_CONFIG bert_config.json \
      --RETENTION_CONFIG 153,125,111,105,85,80,72,48,35,27,22,5 --SEQ_LEN 256 \
      --NUM_EXAMPLES 256 --LENGTHS 64-256 --BATCH_SIZE 128 --PADDING both

BERT (no elimination) and PoWER-BERT (Extract layers keeping l_1..l_L vectors) are
built with the sizes of ``bert_config.json`` and random weights (seeded), and time the
same synthetic token ids: ``--NUM_EXAMPLES`` examples whose real lengths are either all
``--SEQ_LEN`` (``--LENGTHS full``) or drawn uniformly from ``MIN-MAX`` (seeded), the
rest padded with id 0. Timing, warm-up and interleaving are those of the checkpoint
benchmark (``timing.time_models``); the ideal speed-up is the ratio of encoder
multiply-accumulates (``flops.model_cost``) over the same batches.

Timing only: the weights are random, so there is no metric and the predictions mean
nothing. Which words an Extract layer keeps depends on the weights, but how many it
keeps does not, so the work per batch is that of a trained model of the same shape.
"""
import argparse
import dataclasses
import re
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from power_bert.benchmark.report import BASELINE, LABELS, POWER
from power_bert.documents import BenchmarkResult, ModelTiming, PaddingRun
from power_bert.errors import BenchmarkError

TIMING_ONLY = "timing only, random weights"
DEFAULT_NUM_EXAMPLES = 256
_RANGE = re.compile(r"\s*(\d+)\s*-\s*(\d+)\s*")

# Flags of the checkpoint benchmark that mean nothing here, and the reverse.
CHECKPOINT_FLAGS = ("--BASELINE", "--POWER", "--TASK", "--DATA_DIR", "--VOCAB_PATH",
                    "--MAX_EXAMPLES", "--PLOT", "--EXTRA")
SHAPE_FLAGS = ("--RETENTION_CONFIG", "--SEQ_LEN", "--NUM_EXAMPLES", "--LENGTHS", "--SEED")


def add_arguments(parser: argparse.ArgumentParser):
    """The flags of the shape benchmark (beside the checkpoint benchmark's)."""
    p = parser
    p.add_argument("--BERT_CONFIG", help="time random-weight models of this bert_config.json "
                                         "instead of checkpoints (timing only)")
    p.add_argument("--RETENTION_CONFIG", help="with --BERT_CONFIG: l_1,..,l_L kept per "
                                              "encoder by the PoWER-BERT model")
    p.add_argument("--SEQ_LEN", type=int, help="with --BERT_CONFIG: input length N "
                                               "(default: max_position_embeddings)")
    p.add_argument("--NUM_EXAMPLES", type=int, help="with --BERT_CONFIG: synthetic examples, "
                                                    ">= 1 (default %d)" % DEFAULT_NUM_EXAMPLES)
    p.add_argument("--LENGTHS", help="with --BERT_CONFIG: real lengths of the synthetic "
                                     "examples: full (default, all SEQ_LEN) or MIN-MAX "
                                     "(uniform, seeded)")
    p.add_argument("--SEED", type=int, help="with --BERT_CONFIG: seed of the weights, token "
                                            "ids and lengths (default 0)")


@dataclasses.dataclass(frozen=True)
class ShapeOptions:
    """The shape benchmark's own flags, checked.

    Attributes:
      config_path: bert_config.json.
      config: its ``BertConfig``.
      retention: l_1..l_L of the PoWER-BERT model.
      seq_len: N.
      num_examples: synthetic examples.
      lengths: None (every example N tokens) or (MIN, MAX), uniform.
      seed: seed of the weights, ids and lengths.
    """
    config_path: str
    config: object
    retention: Tuple[int, ...]
    seq_len: int
    num_examples: int = DEFAULT_NUM_EXAMPLES
    lengths: Optional[Tuple[int, int]] = None
    seed: int = 0

    @property
    def lengths_text(self) -> str:
        return "full" if self.lengths is None else "%d-%d" % self.lengths


def given(args: argparse.Namespace, flag: str) -> bool:
    value = getattr(args, flag[2:], None)
    return value not in (None, [], False)


def parse_lengths(text: Optional[str], seq_len: int) -> Optional[Tuple[int, int]]:
    """``full`` -> None; ``MIN-MAX`` -> (MIN, MAX) with 1 <= MIN <= MAX <= seq_len."""
    if text is None or text.strip().lower() == "full":
        return None
    match = _RANGE.fullmatch(text)
    if not match:
        raise BenchmarkError("--LENGTHS must be full or MIN-MAX (e.g. 64-256), got %r" % text)
    low, high = int(match.group(1)), int(match.group(2))
    if not 1 <= low <= high <= seq_len:
        raise BenchmarkError("--LENGTHS %s: need 1 <= MIN <= MAX <= --SEQ_LEN (%d)"
                             % (text, seq_len))
    return low, high


def shape_options(args: argparse.Namespace) -> ShapeOptions:
    """Checks the shape benchmark's flags (no TensorFlow needed).

    Raises:
      BenchmarkError: a checkpoint-benchmark flag given with --BERT_CONFIG, a missing or
        unreadable config, a bad --RETENTION_CONFIG, --SEQ_LEN, --NUM_EXAMPLES,
        --LENGTHS or --SEED; the message names the flag.
    """
    from power_bert.config import BertConfig
    from power_bert.retention import validate_retention_configuration
    for flag in CHECKPOINT_FLAGS:
        if given(args, flag):
            raise BenchmarkError("%s is for benchmarking checkpoints; with --BERT_CONFIG the "
                                 "models have random weights and synthetic inputs" % flag)
    if not args.RETENTION_CONFIG:
        raise BenchmarkError("--RETENTION_CONFIG is required with --BERT_CONFIG "
                             "(e.g. 153,125,111,105,85,80,72,48,35,27,22,5)")
    try:
        config = BertConfig.from_json_file(args.BERT_CONFIG)
    except (OSError, ValueError) as e:
        raise BenchmarkError("--BERT_CONFIG: %s" % e) from None
    seq_len = config.max_position_embeddings if args.SEQ_LEN is None else args.SEQ_LEN
    if not 1 <= seq_len <= config.max_position_embeddings:
        raise BenchmarkError("--SEQ_LEN must be in [1, %d] (max_position_embeddings of %s), "
                             "got %d" % (config.max_position_embeddings, args.BERT_CONFIG,
                                         seq_len))
    try:
        retention = validate_retention_configuration(args.RETENTION_CONFIG, seq_len,
                                                     config.num_hidden_layers)
    except ValueError as e:
        raise BenchmarkError("--RETENTION_CONFIG: %s" % e) from None
    num_examples = DEFAULT_NUM_EXAMPLES if args.NUM_EXAMPLES is None else args.NUM_EXAMPLES
    if num_examples < 1:
        raise BenchmarkError("--NUM_EXAMPLES must be at least 1, got %d" % num_examples)
    seed = 0 if args.SEED is None else args.SEED
    if not 0 <= seed < 2 ** 31:
        raise BenchmarkError("--SEED must be in [0, 2^31), got %d" % seed)
    return ShapeOptions(config_path=args.BERT_CONFIG, config=config, retention=retention,
                        seq_len=seq_len, num_examples=num_examples,
                        lengths=parse_lengths(args.LENGTHS, seq_len), seed=seed)


def refuse_shape_flags(args: argparse.Namespace):
    """Without --BERT_CONFIG, the shape benchmark's flags are an error."""
    for flag in SHAPE_FLAGS:
        if given(args, flag):
            raise BenchmarkError("%s is for timing at a shape without checkpoints: give "
                                 "--BERT_CONFIG too (or drop %s)" % (flag, flag))


def synthetic_inputs(num_examples: int, seq_len: int, lengths: Optional[Tuple[int, int]],
                     vocab_size: int, seed: int) -> List[np.ndarray]:
    """``[token_ids, segment_ids]``, int32 ``[num_examples, seq_len]``: random word-piece
    ids (never 0, the padding id) over each example's real length, 0 after it; segment 1
    on the second half of the real tokens.

    Raises:
      ValueError: a vocabulary with fewer than 2 entries.
    """
    if vocab_size < 2:
        raise ValueError("the vocabulary needs at least 2 entries, got %d" % vocab_size)
    rng = np.random.RandomState(seed)
    if lengths is None:
        real = np.full(num_examples, seq_len, dtype=np.int64)
    else:
        real = rng.randint(lengths[0], lengths[1] + 1, size=num_examples)
    ids = rng.randint(1, vocab_size, size=(num_examples, seq_len))
    positions = np.arange(seq_len)[None, :]  # [1, N]
    inside = positions < real[:, None]  # [n, N]
    tokens = np.where(inside, ids, 0).astype(np.int32)
    segments = (inside & (positions >= (real[:, None] + 1) // 2)).astype(np.int32)
    return [tokens, segments]


def build_models(shape: ShapeOptions, dynamic: bool):
    """(name, random-weight model) of BERT and PoWER-BERT for one padding mode; both draw
    their weights from the same seed, so they are the same BERT."""
    from power_bert.backend import keras
    from power_bert.model import build_model
    keras.backend.clear_session()
    seq_len = None if dynamic else shape.seq_len
    models = []
    for name, mode, retention in ((BASELINE, "finetune", None),
                                  (POWER, "retrain", list(shape.retention))):
        keras.utils.set_random_seed(shape.seed)
        models.append((name, build_model(shape.config, 2, seq_len, mode=mode,
                                         retention_configuration=retention,
                                         max_len=shape.seq_len, name=name)))
    return models


def run_padding(shape: ShapeOptions, padding: str, x, options, say) -> PaddingRun:
    """Times both models with one padding mode; its entry of benchmark.json."""
    from power_bert.benchmark.timing import time_models
    from power_bert.flops import model_cost
    from power_bert.inference import batch_lengths, batch_slices, padding_bucket, prepare_batches
    dynamic = padding == "dynamic"
    bucket = padding_bucket(options.padding_buckets, options.xla)
    batches = prepare_batches(x, options.batch_size, dynamic, bucket)
    lengths = batch_lengths(x, options.batch_size, dynamic, bucket)
    sizes = [s.stop - s.start for s in batch_slices(shape.num_examples, options.batch_size)]
    average = float(np.dot(lengths, sizes)) / shape.num_examples
    say("%s padding: %d batches of up to %d examples, average input length %.1f tokens "
        "(max %d)" % (padding, len(batches), options.batch_size, average, shape.seq_len))
    models = build_models(shape, dynamic)
    timings = time_models(models, batches, options.runs, options.warmup, options.xla,
                          options.verbose, say)
    del models
    retention = {BASELINE: None, POWER: list(shape.retention)}
    costs = {name: model_cost(shape.config, retention[name], lengths, sizes)
             for name in retention}
    base_time = float(np.median(timings[BASELINE]["times"]))
    entries = {}
    for name in (BASELINE, POWER):
        median = float(np.median(timings[name]["times"]))
        ideal = costs[BASELINE]["encoder_macs_total"] / costs[name]["encoder_macs_total"]
        entries[name] = ModelTiming(
            label=LABELS[name], retention_configuration=retention[name],
            seconds_per_example=median / shape.num_examples,
            seconds_total_median=median,
            all_times=[float(t) for t in timings[name]["times"]],
            word_vectors_per_example=costs[name]["word_vectors_per_example"],
            encoder_macs_per_example=costs[name]["encoder_macs_per_example"],
            speedup=base_time / median, ideal_speedup=ideal,
            speedup_over_ideal=base_time / median / ideal)
    return PaddingRun(padding=padding, average_batch_length=average,
                      batch_lengths=[int(n) for n in lengths], models=entries)


def benchmark(shape: ShapeOptions, options, say: Callable[[str], None] = print
              ) -> BenchmarkResult:
    """Times BERT against PoWER-BERT at ``shape`` and writes OUTPUT and its table.

    Args:
      shape: the checked shape flags.
      options: the checked ``cli.BenchmarkOptions`` (batch size, runs, warm-up,
        paddings, XLA, output, verbosity).

    Returns:
      benchmark.json's content.
    """
    from power_bert.benchmark.cli import setup_fields
    from power_bert.benchmark.report import write_outputs
    config = shape.config
    x = synthetic_inputs(shape.num_examples, shape.seq_len, shape.lengths, config.vocab_size,
                         shape.seed)
    say("%s: %d encoders, hidden %d, %d heads, intermediate %d; %d synthetic examples of "
        "%s tokens (max %d); retention configuration %s"
        % (TIMING_ONLY, config.num_hidden_layers, config.hidden_size,
           config.num_attention_heads, config.intermediate_size, shape.num_examples,
           shape.lengths_text, shape.seq_len, ",".join(map(str, shape.retention))))
    runs = [run_padding(shape, padding, x, options, say) for padding in options.paddings]
    result = BenchmarkResult(
        task=None, num_examples=shape.num_examples, seq_len=shape.seq_len,
        retention_configuration=list(shape.retention), runs=runs, timing_only=True,
        note=TIMING_ONLY, bert_config=config.to_dict(), bert_config_path=shape.config_path,
        lengths=shape.lengths_text, seed=shape.seed, **setup_fields(options))
    write_outputs(result, options.output, None, say)
    return result


__all__ = ["TIMING_ONLY", "add_arguments", "ShapeOptions", "shape_options",
           "refuse_shape_flags", "parse_lengths", "synthetic_inputs", "build_models",
           "run_padding", "benchmark"]
