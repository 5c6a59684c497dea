"""``power-bert benchmark`` / ``python -m power_bert.benchmark``: the benchmark's flags.

This module only parses and checks flags into ``engine.BenchmarkOptions`` (and, with
--BERT_CONFIG_PATH, ``shapes.ShapeOptions``) and calls ``engine.run``; what is timed and
written is the engine's.

Flags are checked in this order, and the first problem ends the command with one
``error: ...`` line and exit status 2 before anything is loaded or written: numbers,
--EXTRA names, paths (checkpoints, DATA_DIR, VOCAB_PATH, OUTPUT, PLOT); then the engine
opens the models (``trained.open_trained``: metadata, task, vocabulary; one task, length,
casing and vocabulary size for all) and the dev file. Only then are the dev set and the
models loaded.

Every check above runs without TensorFlow, which is first imported when the dev set is
tokenised (keras-bert): a bad flag or file fails at once, with nothing but its line.
"""
import argparse
import os
import re
from typing import List, Optional, Sequence, Tuple

from power_bert.benchmark import peers
from power_bert.benchmark.engine import BENCHMARK_XLA, PADDINGS, BenchmarkOptions
from power_bert.benchmark.report import BASELINE, POWER, markdown_path, plot_formats
from power_bert.benchmark.shapes import DEFAULT_NUM_EXAMPLES, ShapeOptions
from power_bert.commands.flags import add_deprecated, add_switch, field_defaults
from power_bert.errors import BenchmarkError, CheckpointError, UsageError, check_integer
from power_bert.options import parse_switch
from power_bert.runtime import INFERENCE_SORT_BY_LENGTH, PADDING_BUCKETS, PRECISIONS

_EXTRA_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_RANGE = re.compile(r"\s*(\d+)\s*-\s*(\d+)\s*")

# Flags of the checkpoint benchmark that mean nothing with --BERT_CONFIG_PATH, and the
# reverse.
CHECKPOINT_FLAGS = ("--BASELINE", "--POWER", "--TASK", "--DATA_DIR", "--VOCAB_PATH",
                    "--MAX_EXAMPLES", "--PLOT", "--EXTRA")
SHAPE_FLAGS = ("--RETENTION_CONFIG", "--SEQ_LEN", "--NUM_EXAMPLES", "--LENGTHS", "--SEED")
# Each default is the field's default in ``engine.BenchmarkOptions``.
BENCHMARK_DEFAULTS = field_defaults(BenchmarkOptions)


# ----- flags -------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser):
    """Adds the benchmark's flags (those of the first release) to ``parser``, a
    ``power_bert.cli.Parser``."""
    p = parser
    p.add_argument("--BASELINE",
                   help="fine-tuned model: OUTPUT_DIR/finetune.hdf5 (its .json beside it)")
    p.add_argument("--POWER", help="PoWER-BERT model: OUTPUT_DIR/retrain.hdf5")
    p.add_argument("--TASK", help="task of the dev set (default: the models' task)")
    p.add_argument("--DATA_DIR", help="the task's GLUE folder (dev.tsv, or "
                                                   "the nyu-mll/glue parquet files)")
    p.add_argument("--VOCAB_PATH", help="vocab.txt (default: the one saved with the baseline)")
    p.add_argument("--BATCH_SIZE", type=int, default=BENCHMARK_DEFAULTS["batch_size"],
                   help="inference batch, >= 1 (default %(default)s)")
    p.add_argument("--RUNS", type=int, default=BENCHMARK_DEFAULTS["runs"],
                   help="timed rounds, >= 1 (default %(default)s)")
    p.add_argument("--WARMUP", type=int, default=BENCHMARK_DEFAULTS["warmup"],
                   help="untimed passes per model, >= 0 (default %(default)s)")
    p.add_argument("--PADDING", choices=("fixed", "dynamic", "both"), default="fixed",
                   help="fixed: every batch at the task's max length (paper); dynamic: every "
                        "batch cut to its longest example; both (default fixed)")
    add_switch(p, "--XLA", help="compile the inference functions with XLA "
                                "(jit_compile=True); default %s, the path of eval and predict"
                                % str(BENCHMARK_XLA).lower())
    add_switch(p, "--SORT_BY_LENGTH", help="dynamic padding: batch the examples sorted by "
                                           "real length, as eval and predict do; default %s"
                                           % str(INFERENCE_SORT_BY_LENGTH).lower())
    p.add_argument("--PADDING_BUCKETS", type=int, default=PADDING_BUCKETS,
                   help="dynamic padding with XLA: round each batch's length up to a "
                        "multiple of this, >= 1 (default %(default)s)")
    p.add_argument("--PEERS", nargs="+", choices=peers.PEERS, default=[],
                   help="also time what users run otherwise: hf (Hugging Face "
                        "transformers on PyTorch, requirements-peers.txt), savedmodel (the "
                        "PoWER-BERT model exported as a SavedModel), onnx (exported to ONNX "
                        "Runtime, requirements-onnx.txt), onnx_int8 (the same, quantized to "
                        "int8: its dev metric shows the cost), any of them, against this "
                        "project's BERT (--BASELINE) and PoWER-BERT (--POWER, or "
                        "--RETENTION_CONFIG applied to the baseline)")
    add_switch(p, "--FROM_TEXT", help="with --PEERS: time raw sentences -> probabilities, "
                                      "tokenisation included (HF's tokenizer and model, "
                                      "power-bert predict on the checkpoints, the exported "
                                      "SavedModels); default false")
    p.add_argument("--HF_TOKENIZER", help="with --FROM_TEXT and --PEERS hf: the HF model "
                                          "folder whose tokenizer HF uses (default: the "
                                          "baseline's vocab.txt)")
    p.add_argument("--MIXED_PRECISION", type=str.lower, choices=PRECISIONS,
                   default=BENCHMARK_DEFAULTS["mixed_precision"],
                   help="none (default), float16 or bfloat16: build the models under the Keras "
                        "mixed-precision policy (as training's --MIXED_PRECISION)")
    p.add_argument("--MAX_EXAMPLES", type=int, help="use the first N dev examples, >= 1")
    p.add_argument("--OUTPUT", default=BENCHMARK_DEFAULTS["output"],
                   help="results file (default %(default)s); a .md table is written beside "
                        "it")
    p.add_argument("--PLOT", help="write metric vs time per example to this image (e.g. plot.png)")
    p.add_argument("--EXTRA", nargs="+", action="extend", default=[], metavar="NAME=PATH",
                   help="more models in the rotation, e.g. lambda3e-3=out/l3/retrain.hdf5")
    p.add_argument("--VERBOSE", type=int, choices=(0, 1, 2), default=1,
                   help="1: progress bars in the warm-up and one line per round (default)")
    _add_shape_arguments(p)


def _add_shape_arguments(parser: argparse.ArgumentParser):
    """The flags of the shape benchmark (beside the checkpoint benchmark's)."""
    p = parser
    p.add_argument("--BERT_CONFIG_PATH", help="time random-weight models of this "
                                              "bert_config.json instead of checkpoints "
                                              "(timing only)")
    add_deprecated(p, "--BERT_CONFIG", "--BERT_CONFIG_PATH")
    p.add_argument("--RETENTION_CONFIG", help="with --BERT_CONFIG_PATH: l_1,..,l_L kept per "
                                              "encoder by the PoWER-BERT model")
    p.add_argument("--SEQ_LEN", type=int, help="with --BERT_CONFIG_PATH: input length N "
                                               "(default: max_position_embeddings)")
    p.add_argument("--NUM_EXAMPLES", type=int,
                   help="with --BERT_CONFIG_PATH: synthetic examples, >= 1 (default %d)"
                        % DEFAULT_NUM_EXAMPLES)
    p.add_argument("--LENGTHS", help="with --BERT_CONFIG_PATH: real lengths of the synthetic "
                                     "examples: full (default, all SEQ_LEN) or MIN-MAX "
                                     "(uniform, seeded)")
    p.add_argument("--SEED", type=int, help="with --BERT_CONFIG_PATH: seed of the weights, "
                                            "token ids and lengths (default 0)")


# flag -> smallest value
_LOWEST = {"--BATCH_SIZE": 1, "--RUNS": 1, "--WARMUP": 0, "--MAX_EXAMPLES": 1,
           "--PADDING_BUCKETS": 1, "--NUM_EXAMPLES": 1}


def _check_numbers(args: argparse.Namespace):
    """Every number flag in its range (argparse has made them integers)."""
    for flag, low in _LOWEST.items():
        value = getattr(args, flag[2:])
        if value is not None:
            check_integer(value, flag, low, error=BenchmarkError)
    try:
        args.XLA = parse_switch(args.XLA, "--XLA")
        args.SORT_BY_LENGTH = parse_switch(args.SORT_BY_LENGTH, "--SORT_BY_LENGTH")
        args.FROM_TEXT = bool(parse_switch(args.FROM_TEXT, "--FROM_TEXT"))
    except UsageError as e:
        raise BenchmarkError(str(e)) from None
    if args.XLA is None:
        args.XLA = BENCHMARK_XLA
    if args.SORT_BY_LENGTH is None:
        args.SORT_BY_LENGTH = INFERENCE_SORT_BY_LENGTH


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
    _check_text_flags(args)
    retention_configuration = peer_retention(args) if args.PEERS else None
    if args.BERT_CONFIG_PATH is None:
        if not args.PEERS:
            refuse_shape_flags(args)
        for flag in ("--BASELINE", "--POWER", "--DATA_DIR"):
            if flag == "--POWER" and retention_configuration is not None:
                continue
            if not getattr(args, flag[2:]):
                raise BenchmarkError("%s is required (or time random-weight models of a "
                                     "shape with --BERT_CONFIG_PATH and --RETENTION_CONFIG)" % flag)
    models = ((BASELINE, args.BASELINE, "--BASELINE"),
              *(() if retention_configuration is not None else ((POWER, args.POWER, "--POWER"),)),
              *_extra_models(args.EXTRA))
    options = BenchmarkOptions(
        models=models, data_dir=args.DATA_DIR, task=args.TASK, vocab_path=args.VOCAB_PATH,
        batch_size=args.BATCH_SIZE, runs=args.RUNS, warmup=args.WARMUP,
        paddings=PADDINGS if args.PADDING == "both" else (args.PADDING,), xla=bool(args.XLA),
        max_examples=args.MAX_EXAMPLES, output=args.OUTPUT, plot=args.PLOT,
        verbose=args.VERBOSE, mixed_precision=args.MIXED_PRECISION,
        padding_buckets=args.PADDING_BUCKETS, peers=tuple(args.PEERS),
        retention_configuration=retention_configuration,
        sort_by_length=bool(args.SORT_BY_LENGTH), from_text=args.FROM_TEXT,
        hf_tokenizer=args.HF_TOKENIZER)
    check_paths(options)
    return options


def _check_text_flags(args: argparse.Namespace):
    """--FROM_TEXT and --HF_TOKENIZER: with the peers that take text."""
    if args.FROM_TEXT and not args.PEERS:
        raise BenchmarkError("--FROM_TEXT times peers from raw text: give --PEERS hf and/or "
                             "savedmodel")
    onnx = peers.onnx_peers(args.PEERS)
    if args.FROM_TEXT and onnx:
        raise BenchmarkError("--PEERS %s takes token ids, not text: with --FROM_TEXT give "
                             "hf and/or savedmodel" % onnx[0])
    if args.HF_TOKENIZER is not None:
        if not (args.FROM_TEXT and "hf" in args.PEERS):
            raise BenchmarkError("--HF_TOKENIZER is HF's tokenizer from raw text: give "
                                 "--PEERS hf and --FROM_TEXT true too")
        if not os.path.isdir(args.HF_TOKENIZER):
            raise BenchmarkError("--HF_TOKENIZER %s is not a folder (expected an HF model "
                                 "folder with tokenizer.json or vocab.txt)" % args.HF_TOKENIZER)


def peer_retention(args: argparse.Namespace) -> Optional[Tuple[int, ...]]:
    """With --PEERS: the --RETENTION_CONFIG to apply to the baseline (None: --POWER is
    the PoWER-BERT model); the flags that mean nothing there are refused."""
    from power_bert.retention import parse_retention_configuration
    for flag, why in (("--BERT_CONFIG_PATH", "times checkpoints"), ("--EXTRA", "times one "
                      "PoWER-BERT model"), ("--PLOT", "writes no plot")):
        if given(args, flag):
            raise BenchmarkError("%s cannot be used with --PEERS, which %s" % (flag, why))
    for flag in SHAPE_FLAGS[1:]:
        if given(args, flag):
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


def _check_output(output: str):
    """--OUTPUT: a .json file (its table goes beside it as .md) that can be written."""
    if os.path.abspath(markdown_path(output)) == os.path.abspath(output):
        raise BenchmarkError("--OUTPUT %s: the Markdown table goes beside it as .md; give a "
                             ".json file name" % output)
    _check_writable("--OUTPUT", output)


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
    _check_output(options.output)
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


# ----- --BERT_CONFIG_PATH: timing at a shape -----------------------------------------------

def given(args: argparse.Namespace, flag: str) -> bool:
    """Whether ``flag`` was given (a value other than its empty default)."""
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
      BenchmarkError: a checkpoint-benchmark flag given with --BERT_CONFIG_PATH, a missing or
        unreadable config, a bad --RETENTION_CONFIG, --SEQ_LEN, --NUM_EXAMPLES,
        --LENGTHS or --SEED; the message names the flag.
    """
    from power_bert.config import BertConfig
    from power_bert.retention import validate_retention_configuration
    for flag in CHECKPOINT_FLAGS:
        if given(args, flag):
            raise BenchmarkError("%s is for benchmarking checkpoints; with --BERT_CONFIG_PATH the "
                                 "models have random weights and synthetic inputs" % flag)
    if not args.RETENTION_CONFIG:
        raise BenchmarkError("--RETENTION_CONFIG is required with --BERT_CONFIG_PATH "
                             "(e.g. 153,125,111,105,85,80,72,48,35,27,22,5)")
    try:
        config = BertConfig.from_json_file(args.BERT_CONFIG_PATH)
    except (OSError, ValueError) as e:
        raise BenchmarkError("--BERT_CONFIG_PATH: %s" % e) from None
    seq_len = config.max_position_embeddings if args.SEQ_LEN is None else args.SEQ_LEN
    if not 1 <= seq_len <= config.max_position_embeddings:
        raise BenchmarkError("--SEQ_LEN must be in [1, %d] (max_position_embeddings of %s), "
                             "got %d" % (config.max_position_embeddings, args.BERT_CONFIG_PATH,
                                         seq_len))
    try:
        retention_configuration = validate_retention_configuration(
            args.RETENTION_CONFIG, seq_len, config.num_hidden_layers)
    except ValueError as e:
        raise BenchmarkError("--RETENTION_CONFIG: %s" % e) from None
    num_examples = DEFAULT_NUM_EXAMPLES if args.NUM_EXAMPLES is None else args.NUM_EXAMPLES
    seed = check_integer(0 if args.SEED is None else args.SEED, "--SEED", 0, 2 ** 31 - 1,
                         error=BenchmarkError)
    return ShapeOptions(config_path=args.BERT_CONFIG_PATH, config=config,
                        retention_configuration=retention_configuration,
                        seq_len=seq_len, num_examples=num_examples,
                        lengths=parse_lengths(args.LENGTHS, seq_len), seed=seed)


def refuse_shape_flags(args: argparse.Namespace):
    """Without --BERT_CONFIG_PATH, the shape benchmark's flags are an error."""
    for flag in SHAPE_FLAGS:
        if given(args, flag):
            raise BenchmarkError("%s is for timing at a shape without checkpoints: give "
                                 "--BERT_CONFIG_PATH too (or drop %s)" % (flag, flag))


def shape_benchmark_options(args: argparse.Namespace) -> Tuple[ShapeOptions, BenchmarkOptions]:
    """The checked flags of ``--BERT_CONFIG_PATH`` timing (random weights, synthetic inputs).

    Raises:
      BenchmarkError: naming the flag.
    """
    _check_numbers(args)
    _check_text_flags(args)
    shape = shape_options(args)
    options = BenchmarkOptions(
        models=(), data_dir="", batch_size=args.BATCH_SIZE, runs=args.RUNS,
        warmup=args.WARMUP, paddings=PADDINGS if args.PADDING == "both" else (args.PADDING,),
        xla=bool(args.XLA), output=args.OUTPUT, verbose=args.VERBOSE,
        mixed_precision=args.MIXED_PRECISION, padding_buckets=args.PADDING_BUCKETS,
        sort_by_length=bool(args.SORT_BY_LENGTH))
    _check_output(options.output)
    return shape, options


# ----- the command ----------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    """``power-bert benchmark``: checks the flags, runs the engine (which writes the
    files); returns 0.

    Raises:
      PowerBertError: anything the user can fix (one ``error:`` line, exit status 2).
    """
    from power_bert.benchmark import engine
    if args.BERT_CONFIG_PATH is not None and not args.PEERS:
        shape, options = shape_benchmark_options(args)
    else:
        shape, options = None, options_from_args(args)
        onnx = peers.onnx_peers(options.peers)
        if onnx and options.mixed_precision != "none":
            raise UsageError("--PEERS %s exports a float32 model; with --MIXED_PRECISION "
                             "give hf and/or savedmodel" % onnx[0])
    engine.run(options, shape)
    return 0


__all__ = ["CHECKPOINT_FLAGS", "SHAPE_FLAGS", "add_arguments", "options_from_args",
           "peer_retention", "check_paths", "given", "parse_lengths", "shape_options",
           "refuse_shape_flags", "shape_benchmark_options", "run"]
