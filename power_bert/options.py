"""The options of a run, and the one place where they are checked.

``validate`` checks every number and path (types, ranges, combinations) before anything
is read or written, and names the flag and what it allows. Options left at ``None``
take the task's reference hyper-parameters (``tasks.TaskSpec.hyperparameters``); the
run says which values it used.
"""
import dataclasses
import json
import math
import os
import sys
from typing import List, Mapping, Optional, Tuple

from power_bert.errors import RetentionConfigError, UsageError
from power_bert.outputs import check_file_writable
from power_bert.retention import WORD_SELECTIONS, parse_retention_configuration
from power_bert.tasks import TaskSpec, get_task

MAX_SEED = 2 ** 31 - 1
# The largest float32 (numpy.finfo(numpy.float32).max): every float flag ends up in
# float32 arithmetic, where a larger value is inf.
FLOAT32_MAX = 3.4028234663852886e38
FLOAT32_MIN_POSITIVE = 2.0 ** -149  # the smallest float32 above 0 (smaller rounds to 0)
MODEL_FORMATS = ("HDF5", "CKPT")
PRECISIONS = ("none", "float16", "bfloat16")  # --MIXED_PRECISION (precision.py)
STRATEGIES = ("auto", "none", "mirrored", "multiworker")  # --DISTRIBUTE (distribute.py)
TF_CONFIG_EXAMPLE = ('{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
                     '"task": {"type": "worker", "index": 0}}')
# The inference path's defaults for evaluation and prediction, chosen by timing on this
# project's 2-core CPU machine: dynamic padding (exact, 1.7x less time than fixed padding
# on MRPC dev, issue 9) but no XLA. XLA runs a warm model faster (the benchmark, which
# times warm passes, uses it by default: benchmark.cli.BENCHMARK_XLA), but it compiles
# once per input shape (MiniLM at [128, T]: 2.4-3.8 s a shape here when the machine was
# quiet), more than it saves on a dev set; --XLA true is for long test sets. With XLA, dynamic padding
# rounds each batch's length up to a multiple of PADDING_BUCKETS to bound the shapes.
# Training keeps fixed padding and no XLA unless asked (XLA training steps were slower).
INFERENCE_XLA = False
INFERENCE_DYNAMIC_PADDING = True
PADDING_BUCKETS = 16
_SWITCH = {"true": True, "1": True, "yes": True, "on": True,
           "false": False, "0": False, "no": False, "off": False}
# The options that decide a training run's result (with its input files' checksums):
# the same command with the same inputs resumes an interrupted run of them.
RESULT_OPTIONS = ("task", "epochs", "batch_size", "lr_bert", "lr_soft_extract", "lam", "cased",
                  "seed", "max_train_examples", "dynamic_padding")


def resolve_verbose(verbose: Optional[int], stream=None) -> int:
    """The Keras verbosity of a run: ``verbose`` when the user gave --VERBOSE, otherwise 1
    (progress bars) when ``stream`` (standard output) is a terminal and 2 (one line per
    epoch, no per-batch progress) when it is redirected to a file or a pipe, where
    progress bars would only fill the log with carriage returns."""
    if verbose is not None:
        return verbose
    stream = sys.stdout if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    return 1 if isatty is not None and isatty() else 2


def flag_of(field: str) -> str:
    """The command-line flag of an ``Options`` field (``lam`` -> ``--LAMBDA``)."""
    return {"lam": "--LAMBDA", "epochs": "--EPOCH"}.get(field, "--" + field.upper())


# The paper's ranges (a warning outside them).
PAPER_RANGES = (("lr_bert", "--LR_BERT", 2e-5, 6e-5),
                ("lr_soft_extract", "--LR_SOFT_EXTRACT", 1e-4, 1e-2))
# (field, flag) of the hyper-parameters a task's reference values fill in.
TASK_DEFAULTS = (("lr_bert", "--LR_BERT"), ("lr_soft_extract", "--LR_SOFT_EXTRACT"),
                 ("lam", "--LAMBDA"), ("batch_size", "--BATCH_SIZE"))


@dataclasses.dataclass
class Options:
    """Everything a run needs; the command line maps the upper-case flags onto it.

    ``lr_bert``, ``lr_soft_extract``, ``lam`` and ``batch_size`` left at None take the
    task's reference values. ``action`` is "train", "eval" or "predict".
    """
    task: str
    output_dir: str
    data_dir: Optional[str] = None
    bert_config_path: Optional[str] = None
    checkpoint_path: Optional[str] = None
    vocab_path: Optional[str] = None
    epochs: int = 3
    batch_size: Optional[int] = None
    lr_bert: Optional[float] = None
    lr_soft_extract: Optional[float] = None
    lam: Optional[float] = None
    cased: bool = False
    eval_only: bool = False
    predict_only: bool = False
    retention_config: Optional[List[int]] = None
    model_format: Optional[str] = None  # "HDF5" (this project's models) or "CKPT" (Google)
    pred_glue: bool = False
    seed: int = 42
    max_train_examples: Optional[int] = None
    finetuned_checkpoint: Optional[str] = None
    search_checkpoint: Optional[str] = None
    fresh: bool = False
    eval_batch_size: Optional[int] = None
    # None: the action's default (training: fixed padding and no XLA; evaluation and
    # prediction: INFERENCE_DYNAMIC_PADDING and INFERENCE_XLA); validate() decides.
    dynamic_padding: Optional[bool] = None
    verbose: int = 1
    xla: Optional[bool] = None  # True: training steps and inference; False: neither
    padding_buckets: int = PADDING_BUCKETS  # dynamic padding: lengths rounded up to these
    mixed_precision: str = "none"  # "none", "float16" or "bfloat16" (precision.PRECISIONS)
    distribute: str = "none"  # "auto", "none", "mirrored" or "multiworker" (STRATEGIES)
    # Held-out model selection: this part of the (capped) training set is not trained on
    # and chooses the epochs; the dev set is measured only for the chosen models.
    tune_fraction: Optional[float] = None  # None or 0: choose on the dev set
    tune_seed: int = 0  # seed of the held-out part (independent of ``seed``)
    # prediction on raw text (rawtext.py): --INPUT, its format, --OUTPUT and its format,
    # and the model as an exported SavedModel instead of --CHECKPOINT_PATH
    input_path: Optional[str] = None
    input_format: Optional[str] = None
    output_path: Optional[str] = None
    output_format: Optional[str] = None
    saved_model: Optional[str] = None
    # Extract's word selection (retention.WORD_SELECTIONS); None: attention for training,
    # the model's own for eval/predict. "random" is seeded by ``seed``.
    word_selection: Optional[str] = None
    eval_split: str = "dev"  # "dev" or "test" (a task with a labelled test set: imdb)
    max_eval_examples: Optional[int] = None  # the first N examples of the evaluated split

    @property
    def action(self) -> str:
        return "eval" if self.eval_only else "predict" if self.predict_only else "train"

    @property
    def inference_batch_size(self) -> int:
        return self.eval_batch_size or self.batch_size

    @property
    def training_xla(self) -> bool:
        """XLA for training steps: only when --XLA true was given."""
        return self.xla is True

    @property
    def inference_xla(self) -> bool:
        """XLA for dev/test inference: --XLA, else INFERENCE_XLA for evaluation and
        prediction (a training run's dev evaluations stay as training: no XLA)."""
        if self.xla is None:
            return INFERENCE_XLA and self.action != "train"
        return bool(self.xla)


def parse_switch(value, flag: str) -> Optional[bool]:
    """A switch flag's value: a bool, None (not given), or true/false, yes/no, on/off,
    1/0 (any case).

    Raises:
      UsageError: anything else, naming the flag.
    """
    if value is None or isinstance(value, bool):
        return value
    switch = _SWITCH.get(str(value).strip().lower()) if isinstance(value, str) else None
    if switch is None:
        raise UsageError("%s is a switch: true or false, got %r" % (flag, value))
    return switch


def validate(options: Options) -> Tuple[Options, TaskSpec, List[str]]:
    """Checks the options and fills in the task's defaults.

    Returns:
      (the completed options, the task, notes on the defaults used).

    Raises:
      UsageError: naming the flag and what it allows.
      RetentionConfigError: a --RETENTION_CONFIG that is not a list of integers.
    """
    o = dataclasses.replace(options)
    try:
        task = get_task(o.task)
    except ValueError as e:
        raise UsageError("--TASK: %s" % e) from None
    o.task = task.name
    if o.eval_only and o.predict_only:
        raise UsageError("give either --EVAL_ONLY or --PREDICT_ONLY, not both")
    notes = _fill_task_defaults(o, task)
    _check_numbers(o)
    if o.action == "train":
        notes += ["warning: %s=%g is outside the paper's range [%g, %g]" % (flag, getattr(o, f),
                                                                            low, high)
                  for f, flag, low, high in PAPER_RANGES if not low <= getattr(o, f) <= high]
    if o.input_path is not None:
        _check_raw_text(o, task)
        return o, task, notes
    for value, flag in ((o.output_path, "--OUTPUT"), (o.input_format, "--INPUT_FORMAT"),
                        (o.output_format, "--OUTPUT_FORMAT"), (o.saved_model, "--SAVED_MODEL")):
        if value is not None:
            raise UsageError("%s is used with --INPUT (prediction on raw text)" % flag)
    _check_paths(o)
    _check_combinations(o, task)
    if o.distribute == "multiworker":
        worker_task(os.environ)  # TF_CONFIG, read before TensorFlow starts
        if o.action == "train" and not o.fresh:
            o.fresh = True
            notes.append("--DISTRIBUTE multiworker: a new run (an interrupted multi-worker "
                         "run is not resumed, as the workers would restart from different "
                         "states)")
    return o, task, notes


def _fill_task_defaults(o: Options, task: TaskSpec) -> List[str]:
    used = []
    for field, flag in TASK_DEFAULTS:
        if getattr(o, field) is None:
            value = getattr(task.hyperparameters, field)
            setattr(o, field, value)
            used.append("%s=%g" % (flag, value))
    if not used or o.action != "train":
        return []
    source = ("the reference values of %s (uncased BERT-Base, original release)" % task.name
              if task.reference else "the defaults (task %s has no reference values)" % task.name)
    return ["not given, so %s: %s" % (source, " ".join(used))]


def _check_int(value, flag: str, low: int, high: Optional[int] = None):
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
            high is not None and value > high):
        allowed = "an integer >= %d" % low if high is None else "an integer in [%d, %d]" % (
            low, high)
        raise UsageError("%s must be %s, got %r" % (flag, allowed, value))


def _check_float(value, flag: str, positive: bool):
    """A number that the model's float32 arithmetic can hold.

    Raises:
      UsageError: not a finite number, not > 0 (``positive``) or >= 0, larger than
        FLOAT32_MAX (it would become inf in float32 and fail only after training), or a
        positive value that float32 rounds to 0.
    """
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(
        value) and (value > 0 if positive else value >= 0)
    if not ok:
        raise UsageError("%s must be a finite number %s, got %r"
                         % (flag, "> 0" if positive else ">= 0", value))
    if abs(value) > FLOAT32_MAX:
        raise UsageError("%s must be at most %.7g (the largest float32, the precision the "
                         "model computes in), got %r" % (flag, FLOAT32_MAX, value))
    if positive and value < FLOAT32_MIN_POSITIVE:
        raise UsageError("%s must be at least %.7g (the smallest float32 above 0; less is 0 in "
                         "the model's precision), got %r" % (flag, FLOAT32_MIN_POSITIVE, value))


def _check_numbers(o: Options):
    _check_int(o.epochs, "--EPOCH", 1)
    _check_int(o.batch_size, "--BATCH_SIZE", 1)
    if o.eval_batch_size is not None:
        _check_int(o.eval_batch_size, "--EVAL_BATCH_SIZE", 1)
    if o.max_train_examples is not None:
        _check_int(o.max_train_examples, "--MAX_TRAIN_EXAMPLES", 1)
    if o.max_eval_examples is not None:
        _check_int(o.max_eval_examples, "--MAX_EVAL_EXAMPLES", 1)
    _check_int(o.seed, "--SEED", 0, MAX_SEED)
    _check_int(o.verbose, "--VERBOSE", 0, 2)
    _check_int(o.padding_buckets, "--PADDING_BUCKETS", 1)
    o.xla = parse_switch(o.xla, "--XLA")
    o.dynamic_padding = parse_switch(o.dynamic_padding, "--DYNAMIC_PADDING")
    if o.dynamic_padding is None:  # the action's default (the same resume key as before)
        o.dynamic_padding = INFERENCE_DYNAMIC_PADDING if o.action != "train" else False
    precision = o.mixed_precision.lower() if isinstance(o.mixed_precision, str) else None
    if precision not in PRECISIONS:
        raise UsageError("--MIXED_PRECISION must be one of %s, got %r"
                         % (", ".join(PRECISIONS), o.mixed_precision))
    o.mixed_precision = precision
    strategy = o.distribute.lower() if isinstance(o.distribute, str) else None
    if strategy not in STRATEGIES:
        raise UsageError("--DISTRIBUTE must be one of %s, got %r"
                         % (", ".join(STRATEGIES), o.distribute))
    o.distribute = strategy
    if o.word_selection is not None:
        selection = o.word_selection.lower() if isinstance(o.word_selection, str) else None
        if selection not in WORD_SELECTIONS:
            raise UsageError("--WORD_SELECTION must be one of %s, got %r"
                             % (", ".join(WORD_SELECTIONS), o.word_selection))
        o.word_selection = selection
    _check_float(o.lr_bert, "--LR_BERT", positive=True)
    _check_float(o.lr_soft_extract, "--LR_SOFT_EXTRACT", positive=True)
    _check_float(o.lam, "--LAMBDA", positive=False)
    if o.tune_fraction is not None:
        _check_float(o.tune_fraction, "--TUNE_FRACTION", positive=False)
        if o.tune_fraction >= 1:
            raise UsageError("--TUNE_FRACTION must be in [0, 1) (the part of the training set "
                             "held out for choosing epochs), got %r" % (o.tune_fraction,))
        o.tune_fraction = float(o.tune_fraction) or None
    _check_int(o.tune_seed, "--TUNE_SEED", 0, MAX_SEED)
    if isinstance(o.retention_config, str):
        o.retention_config = list(parse_retention_configuration(o.retention_config))
    if o.retention_config is not None:
        try:
            values = [int(v) for v in o.retention_config]
        except (TypeError, ValueError):
            raise RetentionConfigError("--RETENTION_CONFIG must be integers, got %r"
                                       % (o.retention_config,)) from None
        o.retention_config = values


def _need_file(path: Optional[str], flag: str, why: str = ""):
    if not path:
        raise UsageError("%s is required%s" % (flag, why))
    if os.path.isdir(path):
        raise UsageError("%s: %s is a folder, expected a file" % (flag, path))
    if not os.path.exists(path):
        raise UsageError("%s: file not found: %s" % (flag, path))


def _need_checkpoint(path: Optional[str], flag: str, why: str):
    """A Google checkpoint prefix (``bert_model.ckpt``), its ``.index``, or a folder."""
    if not path:
        raise UsageError("%s is required%s" % (flag, why))
    if not (os.path.exists(path) or os.path.exists(path + ".index")):
        raise UsageError("%s: no checkpoint at %s (expected %s.index, or a folder holding "
                         "one)" % (flag, path, path))


def _check_paths(o: Options):
    if not o.output_dir:
        raise UsageError("--OUTPUT_DIR is required")
    if os.path.exists(o.output_dir) and not os.path.isdir(o.output_dir):
        raise UsageError("--OUTPUT_DIR: %s exists and is not a folder" % o.output_dir)
    existing = o.output_dir
    while not os.path.exists(existing):  # the nearest folder that exists must be writable
        existing = os.path.dirname(os.path.abspath(existing))
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError("--OUTPUT_DIR: %s cannot be written (%s is not writable)"
                         % (o.output_dir, existing))
    if not o.data_dir:
        raise UsageError("--DATA_DIR is required")
    if not os.path.isdir(o.data_dir):
        raise UsageError("--DATA_DIR: folder not found: %s" % o.data_dir)
    _need_file(o.vocab_path, "--VOCAB_PATH")
    if o.action == "train":
        for path, flag, stage in ((o.finetuned_checkpoint, "--FINETUNED_CHECKPOINT", "finetune"),
                                  (o.search_checkpoint, "--SEARCH_CHECKPOINT", "search")):
            if path and os.path.isdir(path):
                raise UsageError("%s: %s is a folder; give its %s.hdf5" % (flag, path, stage))
            if path and not os.path.exists(path):
                raise UsageError("%s: file not found: %s" % (flag, path))
        if not (o.finetuned_checkpoint or o.search_checkpoint):
            why = " for training (or give --FINETUNED_CHECKPOINT)"
            _need_file(o.bert_config_path, "--BERT_CONFIG_PATH", why)
            _need_checkpoint(o.checkpoint_path, "--CHECKPOINT_PATH", why)
        return
    _check_trained_model(o)


def _check_trained_model(o: Options):
    """--CHECKPOINT_PATH (and its format) of evaluation or prediction."""
    why = " with --EVAL_ONLY/--PREDICT_ONLY"
    if o.model_format is not None:
        o.model_format = o.model_format.upper()
        if o.model_format not in MODEL_FORMATS:
            raise UsageError("--MODEL_FORMAT must be one of %s, got %r"
                             % (", ".join(MODEL_FORMATS), o.model_format))
    else:
        o.model_format = "CKPT" if looks_like_tf_checkpoint(o.checkpoint_path or "") else "HDF5"
    if o.model_format == "CKPT":
        _need_checkpoint(o.checkpoint_path, "--CHECKPOINT_PATH", why)
        _need_file(o.bert_config_path, "--BERT_CONFIG_PATH",
                   " with --MODEL_FORMAT CKPT (a Google checkpoint)")
    elif not o.checkpoint_path:
        raise UsageError("--CHECKPOINT_PATH is required%s" % why)


def _check_combinations(o: Options, task: TaskSpec):
    if o.retention_config is not None and o.action == "train":
        raise UsageError("--RETENTION_CONFIG is used with --EVAL_ONLY or --PREDICT_ONLY; "
                         "training derives it in the configuration search")
    for flag, value in (("--FINETUNED_CHECKPOINT", o.finetuned_checkpoint),
                        ("--SEARCH_CHECKPOINT", o.search_checkpoint), ("--FRESH", o.fresh)):
        if value and o.action != "train":
            raise UsageError("%s is for training; with --EVAL_ONLY or --PREDICT_ONLY give the "
                             "model as --CHECKPOINT_PATH" % flag)
    if o.tune_fraction and o.action != "train":
        raise UsageError("--TUNE_FRACTION is for training (it holds out part of the training "
                         "set to choose epochs); evaluation always uses the dev set")
    if o.pred_glue and task.glue_name is None:
        raise UsageError("--PRED_GLUE: task %s has no GLUE submission file; drop the flag "
                         "to write OUTPUT_DIR/test_predictions.tsv" % task.name)
    if o.action == "train" and task.train_file is None:
        raise UsageError("--TASK %s has no training data; it is predicted with a %s model "
                         "(--PREDICT_ONLY)" % (task.name, task.label_task))
    if o.eval_split not in ("dev", "test"):
        raise UsageError("--EVAL_SPLIT must be dev or test, got %r" % (o.eval_split,))
    if o.eval_split == "test" and (o.action != "eval" or not task.labelled_test):
        raise UsageError("--EVAL_SPLIT test: %s" % (
            "only evaluation (--EVAL_ONLY) reads a test split" if o.action != "eval" else
            "task %s has no labels on its test set" % task.name))
    if o.action == "eval" and task.dev_file is None:
        raise UsageError("--TASK %s has no dev set to evaluate on" % task.name)
    if o.distribute == "multiworker" and o.action != "train":
        raise UsageError("--DISTRIBUTE multiworker is for training; evaluate or predict on "
                         "one machine")


@dataclasses.dataclass(frozen=True)
class WorkerTask:
    """This process's place in a multi-worker cluster (``TF_CONFIG``).

    Attributes:
      type: "chief" or "worker".
      index: the task's index among the tasks of its type.
      has_chief: the cluster names a "chief" task.
      workers: the tasks that train (the chief and the workers).
    """
    type: str
    index: int
    has_chief: bool
    workers: int

    @property
    def chief(self) -> bool:
        """The task that writes OUTPUT_DIR: the "chief" task, or worker 0 when the cluster
        has no chief (TensorFlow's rule, as in Keras' ModelCheckpoint)."""
        return self.type == "chief" or (not self.has_chief and self.index == 0)


def worker_task(environ: Mapping[str, str]) -> WorkerTask:
    """Reads and checks the ``TF_CONFIG`` variable of ``environ`` (without TensorFlow).

    Raises:
      UsageError: TF_CONFIG missing, not JSON, without cluster.worker, or with a task
        that is not in the cluster; the message names TF_CONFIG and shows an example.
    """
    text = environ.get("TF_CONFIG")
    example = "; e.g. TF_CONFIG='%s' on the first machine" % TF_CONFIG_EXAMPLE
    if not text:
        raise UsageError("--DISTRIBUTE multiworker needs the TF_CONFIG environment variable "
                         "(the cluster's workers and this process's task)" + example)
    try:
        config = json.loads(text)
    except ValueError as e:
        raise UsageError("TF_CONFIG is not JSON (%s)%s" % (e, example)) from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not _addresses(cluster.get("worker")):
        raise UsageError("TF_CONFIG has no cluster.worker list of host:port addresses%s"
                         % example)
    sizes = {}
    for kind in ("chief", "worker"):
        if kind in cluster:
            if not _addresses(cluster[kind]):
                raise UsageError("TF_CONFIG cluster.%s must be a list of host:port addresses, "
                                 "got %r" % (kind, cluster[kind]))
            sizes[kind] = len(cluster[kind])
    if sizes.get("chief", 0) > 1:
        raise UsageError("TF_CONFIG cluster.chief has %d addresses; a cluster has at most one "
                         "chief" % sizes["chief"])
    task = config.get("task")
    kind = task.get("type") if isinstance(task, dict) else None
    index = task.get("index") if isinstance(task, dict) else None
    if kind not in sizes:
        raise UsageError("TF_CONFIG task.type must be one of %s (the cluster's task types), "
                         "got %r" % (", ".join(sorted(sizes)), kind))
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < sizes[kind]:
        raise UsageError("TF_CONFIG task.index must be an integer in [0, %d] (cluster.%s has "
                         "%d addresses), got %r" % (sizes[kind] - 1, kind, sizes[kind], index))
    return WorkerTask(kind, index, "chief" in sizes, sum(sizes.values()))


def _addresses(value) -> bool:
    """A non-empty list of "host:port" strings."""
    return isinstance(value, list) and bool(value) and all(
        isinstance(a, str) and a.rpartition(":")[0] and a.rpartition(":")[2].isdigit()
        for a in value)


def _check_raw_text(o: Options, task: TaskSpec):
    """``predict --INPUT``: the input, the output and the model (one of --CHECKPOINT_PATH
    and --SAVED_MODEL). Every batch is padded to its longest example."""
    from power_bert import rawtext
    if o.action != "predict":
        raise UsageError("--INPUT is used with predict (prediction on raw text)")
    for flag, value in (("--OUTPUT_DIR", o.output_dir), ("--DATA_DIR", o.data_dir),
                        ("--PRED_GLUE", o.pred_glue)):
        if value:
            raise UsageError("%s is for predicting the GLUE test set; with --INPUT the "
                             "predictions go to --OUTPUT (a file, or standard output)" % flag)
    if o.input_path != rawtext.STDIO:
        _need_file(o.input_path, "--INPUT")
    o.input_format = rawtext.input_format(o.input_path, o.input_format)
    o.output_format = rawtext.output_format(o.output_path, o.output_format)
    if o.output_path and o.output_path != rawtext.STDIO:  # before the model is loaded
        check_file_writable(o.output_path, "--OUTPUT")
    o.dynamic_padding = True
    if bool(o.checkpoint_path) == bool(o.saved_model):
        raise UsageError("with --INPUT give the model as either --CHECKPOINT_PATH (a stage "
                         "checkpoint) or --SAVED_MODEL (a folder of power-bert export)")
    if o.checkpoint_path:
        _check_trained_model(o)
        if o.vocab_path or o.model_format == "CKPT":  # else the one the checkpoint records
            _need_file(o.vocab_path, "--VOCAB_PATH", " with a Google checkpoint")
        return
    if not rawtext.is_saved_model(o.saved_model):
        raise UsageError("--SAVED_MODEL: %s is not a folder written by power-bert export (no "
                         "%s)" % (o.saved_model, " or ".join(rawtext.SAVED_MODEL_FILES)))
    model_task = rawtext.read_saved_model_metadata(o.saved_model).task
    if model_task != (task.label_task or task.name):
        raise UsageError("--SAVED_MODEL %s was exported for task %s; --TASK %s needs a %s "
                         "model" % (o.saved_model, model_task, task.name,
                                    task.label_task or task.name))
    for flag, value in (("--RETENTION_CONFIG", o.retention_config), ("--XLA", o.xla),
                        ("--MIXED_PRECISION", o.mixed_precision != "none"),
                        ("--VOCAB_PATH", o.vocab_path), ("--BERT_CONFIG_PATH",
                                                         o.bert_config_path)):
        if value:
            raise UsageError("%s does not apply to --SAVED_MODEL: the export fixed it (see "
                             "power-bert export)" % flag)


def looks_like_tf_checkpoint(path: str) -> bool:
    """A Google/TensorFlow checkpoint prefix, its .index, or a folder holding one."""
    return os.path.exists(path + ".index") or path.endswith(".index") or (
        os.path.isdir(path) and any(f.endswith(".index") for f in os.listdir(path)))
