"""The options of a run, and the one place where they are checked.

``Options`` is what was asked for (the command line's flags, or a caller's values);
``validate`` checks every number and path (types, ranges, combinations) before anything
is read or written, names the flag and what it allows, and returns a ``ValidOptions``:
the completed, normalised options (frozen), the task and notes on the defaults used.
The pipeline and every command take only a ``ValidOptions`` and never change it; a
value derived later is a new object (``dataclasses.replace``).

Options left at ``None`` take the task's reference hyper-parameters
(``tasks.TaskSpec.hyperparameters``); the run says which values it used. Evaluation and
prediction of a model trained here without ``--VOCAB_PATH`` take the vocabulary its
checkpoint records (decided here, before the run).
"""
import dataclasses
import math
import os
import sys
from typing import Dict, List, Optional, Tuple

from power_bert.data.encoder import TUNE_UNITS
from power_bert.errors import RetentionConfigError, UsageError
from power_bert.outputs import check_file_writable
from power_bert.retention import WORD_SELECTIONS, parse_retention_configuration
from power_bert.runtime import (INFERENCE_DYNAMIC_PADDING, INFERENCE_XLA, PADDING_BUCKETS,
                                PRECISIONS, STRATEGIES, worker_task)
from power_bert.tasks import TaskSpec, get_task

MAX_SEED = 2 ** 31 - 1
# The largest float32 (numpy.finfo(numpy.float32).max): every float flag ends up in
# float32 arithmetic, where a larger value is inf.
FLOAT32_MAX = 3.4028234663852886e38
FLOAT32_MIN_POSITIVE = 2.0 ** -149  # the smallest float32 above 0 (smaller rounds to 0)
MODEL_FORMATS = ("HDF5", "CKPT")
_SWITCH = {"true": True, "1": True, "yes": True, "on": True,
           "false": False, "0": False, "no": False, "off": False}
# The options that decide a training run's result (with its input files' checksums):
# the same command with the same inputs resumes an interrupted run of them. As
# {key in run.json and the run's hash: ``Options`` field}; the keys are those runs have
# always recorded, so a run folder of an earlier version is still found and resumed
# ("lam" is the field ``lambda_``).
RESULT_OPTIONS = {"task": "task", "epochs": "epochs", "batch_size": "batch_size",
                  "lr_bert": "lr_bert", "lr_soft_extract": "lr_soft_extract", "lam": "lambda_",
                  "cased": "cased", "seed": "seed", "max_train_examples": "max_train_examples",
                  "dynamic_padding": "dynamic_padding"}


def recorded_options(o: "Options") -> Dict:
    """``RESULT_OPTIONS`` of ``o`` under their recorded keys."""
    return {key: getattr(o, field) for key, field in RESULT_OPTIONS.items()}


def recorded_flag(key: str) -> str:
    """The command-line flag of a key of a run's recorded options (``lam`` -> ``--LAMBDA``)."""
    return flag_of(RESULT_OPTIONS.get(key, key))


def result_options(o: "Options") -> Dict:
    """The options that decide a training run's result, for its fingerprint (beside the
    checksums of its input files): ``RESULT_OPTIONS``, and the others only when they are
    not at their defaults, so that a run of an earlier release, which did not have them,
    still resumes."""
    options = recorded_options(o)
    for name in ("mixed_precision", "distribute"):
        if getattr(o, name) != "none":
            options[name] = getattr(o, name)
    if o.word_selection not in (None, "attention"):
        options["word_selection"] = o.word_selection
    if o.max_eval_examples is not None:
        options["max_eval_examples"] = o.max_eval_examples
    if o.stage_epochs("search") != o.epochs:
        options["search_epochs"] = o.search_epochs
    if o.tune_fraction:
        options.update(tune_fraction=o.tune_fraction, tune_seed=o.tune_seed)
        if o.tune_split != "rows":
            options["tune_split"] = o.tune_split
    return options


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


# The flag of each ``Options`` field whose flag is not its name in upper case.
OTHER_FLAGS = {"lambda_": "--LAMBDA", "retention_configuration": "--RETENTION_CONFIG",
               "epochs": "--EPOCH", "input_path": "--INPUT",
               "output_path": "--OUTPUT"}


def flag_of(field: str) -> str:
    """The command-line flag of an ``Options`` field (``lambda_`` -> ``--LAMBDA``)."""
    return OTHER_FLAGS.get(field, "--" + field.upper())


# The paper's ranges (a warning outside them).
PAPER_RANGES = (("lr_bert", "--LR_BERT", 2e-5, 6e-5),
                ("lr_soft_extract", "--LR_SOFT_EXTRACT", 1e-4, 1e-2))
# (field, flag) of the hyper-parameters a task's reference values fill in.
TASK_DEFAULTS = (("lr_bert", "--LR_BERT"), ("lr_soft_extract", "--LR_SOFT_EXTRACT"),
                 ("lambda_", "--LAMBDA"), ("batch_size", "--BATCH_SIZE"))


@dataclasses.dataclass(frozen=True)
class Options:
    """Everything a run needs, as asked for; the command line maps the upper-case flags
    onto it. ``validate`` completes and checks it.

    ``lr_bert``, ``lr_soft_extract``, ``lambda_`` and ``batch_size`` left at None take the
    task's reference values. ``action`` is "train", "eval" or "predict".
    """
    task: str
    output_dir: str
    data_dir: Optional[str] = None
    bert_config_path: Optional[str] = None
    checkpoint_path: Optional[str] = None
    vocab_path: Optional[str] = None
    epochs: int = 3
    # epochs of the configuration search; None: EPOCH (the original release's one count)
    search_epochs: Optional[int] = None
    batch_size: Optional[int] = None
    lr_bert: Optional[float] = None
    lr_soft_extract: Optional[float] = None
    lambda_: Optional[float] = None
    cased: bool = False
    eval_only: bool = False
    predict_only: bool = False
    retention_configuration: Optional[List[int]] = None
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
    tune_split: str = "rows"  # what is held out: any rows, or whole sentences (TUNE_UNITS)
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

    def stage_epochs(self, stage: str) -> int:
        """Epochs of a training stage: SEARCH_EPOCHS for the configuration search when
        given, else EPOCH."""
        if stage == "search" and self.search_epochs is not None:
            return self.search_epochs
        return self.epochs

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


@dataclasses.dataclass(frozen=True)
class ValidOptions:
    """What ``validate`` returns, the only options the pipeline and the commands take.

    Attributes:
      options: the completed, normalised ``Options`` (switches as bools, names in lower
        case, the task's defaults filled in, the model format and the vocabulary of
        evaluation and prediction decided).
      task: the task of ``options.task``.
      notes: lines for the run's log about the defaults used (and warnings).
    """
    options: Options
    task: TaskSpec
    notes: Tuple[str, ...] = ()


def validate(options: Options) -> ValidOptions:
    """Checks the options and fills in the task's defaults.

    Returns:
      the completed options, the task and notes on the defaults used.

    Raises:
      UsageError: naming the flag and what it allows.
      RetentionConfigError: a --RETENTION_CONFIG that is not a list of integers.
    """
    try:
        task = get_task(options.task)
    except ValueError as e:
        raise UsageError("--TASK: %s" % e) from None
    if options.eval_only and options.predict_only:
        raise UsageError("give either --EVAL_ONLY or --PREDICT_ONLY, not both")
    defaults, notes = _task_defaults(options, task)
    o = dataclasses.replace(options, task=task.name, **defaults)
    o = dataclasses.replace(o, **_checked_numbers(o))
    if o.action == "train":
        notes += ["warning: %s=%g is outside the paper's range [%g, %g]" % (flag, getattr(o, f),
                                                                            low, high)
                  for f, flag, low, high in PAPER_RANGES if not low <= getattr(o, f) <= high]
    if o.input_path is not None:
        return ValidOptions(dataclasses.replace(o, **_checked_raw_text(o, task)), task,
                            tuple(notes))
    for value, flag in ((o.output_path, "--OUTPUT"), (o.input_format, "--INPUT_FORMAT"),
                        (o.output_format, "--OUTPUT_FORMAT"), (o.saved_model, "--SAVED_MODEL")):
        if value is not None:
            raise UsageError("%s is used with --INPUT (prediction on raw text)" % flag)
    o = dataclasses.replace(o, **_checked_paths(o))
    _check_combinations(o, task)
    if o.distribute == "multiworker":
        worker_task(os.environ)  # TF_CONFIG, read before TensorFlow starts
        if o.action == "train" and not o.fresh:
            o = dataclasses.replace(o, fresh=True)
            notes.append("--DISTRIBUTE multiworker: a new run (an interrupted multi-worker "
                         "run is not resumed, as the workers would restart from different "
                         "states)")
    return ValidOptions(o, task, tuple(notes))


def _task_defaults(o: Options, task: TaskSpec) -> Tuple[Dict, List[str]]:
    """(the task's reference values of the hyper-parameters not given, the note saying
    so for training)."""
    values = {field: getattr(task.hyperparameters, field) for field, _ in TASK_DEFAULTS
              if getattr(o, field) is None}
    if not values or o.action != "train":
        return values, []
    used = " ".join("%s=%g" % (flag, values[field]) for field, flag in TASK_DEFAULTS
                    if field in values)
    source = ("the reference values of %s (uncased BERT-Base, original release)" % task.name
              if task.reference else "the defaults (task %s has no reference values)" % task.name)
    return values, ["not given, so %s: %s" % (source, used)]


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


def _checked_numbers(o: Options) -> Dict:
    """Checks the numbers and choices; returns the normalised values (switches as bools,
    names in lower case, the retention configuration as a tuple of ints)."""
    _check_int(o.epochs, "--EPOCH", 1)
    if o.search_epochs is not None:
        _check_int(o.search_epochs, "--SEARCH_EPOCHS", 1)
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
    dynamic_padding = parse_switch(o.dynamic_padding, "--DYNAMIC_PADDING")
    if dynamic_padding is None:  # the action's default (the same resume key as before)
        dynamic_padding = INFERENCE_DYNAMIC_PADDING if o.action != "train" else False
    normalised = dict(xla=parse_switch(o.xla, "--XLA"), dynamic_padding=dynamic_padding)
    precision = o.mixed_precision.lower() if isinstance(o.mixed_precision, str) else None
    if precision not in PRECISIONS:
        raise UsageError("--MIXED_PRECISION must be one of %s, got %r"
                         % (", ".join(PRECISIONS), o.mixed_precision))
    normalised["mixed_precision"] = precision
    strategy = o.distribute.lower() if isinstance(o.distribute, str) else None
    if strategy not in STRATEGIES:
        raise UsageError("--DISTRIBUTE must be one of %s, got %r"
                         % (", ".join(STRATEGIES), o.distribute))
    normalised["distribute"] = strategy
    if o.word_selection is not None:
        selection = o.word_selection.lower() if isinstance(o.word_selection, str) else None
        if selection not in WORD_SELECTIONS:
            raise UsageError("--WORD_SELECTION must be one of %s, got %r"
                             % (", ".join(WORD_SELECTIONS), o.word_selection))
        normalised["word_selection"] = selection
    _check_float(o.lr_bert, "--LR_BERT", positive=True)
    _check_float(o.lr_soft_extract, "--LR_SOFT_EXTRACT", positive=True)
    _check_float(o.lambda_, "--LAMBDA", positive=False)
    if o.tune_fraction is not None:
        _check_float(o.tune_fraction, "--TUNE_FRACTION", positive=False)
        if o.tune_fraction >= 1:
            raise UsageError("--TUNE_FRACTION must be in [0, 1) (the part of the training set "
                             "held out for choosing epochs), got %r" % (o.tune_fraction,))
        normalised["tune_fraction"] = float(o.tune_fraction) or None
    _check_int(o.tune_seed, "--TUNE_SEED", 0, MAX_SEED)
    tune_split = o.tune_split.lower() if isinstance(o.tune_split, str) else None
    if tune_split not in TUNE_UNITS:
        raise UsageError("--TUNE_SPLIT must be one of %s, got %r"
                         % (", ".join(TUNE_UNITS), o.tune_split))
    normalised["tune_split"] = tune_split
    retention_configuration = o.retention_configuration
    if isinstance(retention_configuration, str):
        retention_configuration = parse_retention_configuration(retention_configuration)
    if retention_configuration is not None:
        try:
            normalised["retention_configuration"] = tuple(int(v) for v in retention_configuration)
        except (TypeError, ValueError):
            raise RetentionConfigError("--RETENTION_CONFIG must be integers, got %r"
                                       % (retention_configuration,)) from None
    return normalised


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


def _checked_paths(o: Options) -> Dict:
    """Checks the paths; returns what evaluation and prediction decide from them (the
    model format and the vocabulary: ``_trained_model``)."""
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
    if o.action == "train":
        _need_file(o.vocab_path, "--VOCAB_PATH")
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
        return {}
    return _trained_model(o)


def _trained_model(o: Options) -> Dict:
    """--CHECKPOINT_PATH (and its format) of evaluation or prediction; returns the model
    format and the vocabulary: --VOCAB_PATH, else (a model trained here) the one its
    checkpoint records.

    Raises:
      UsageError: no or a missing checkpoint, a bad --MODEL_FORMAT, a Google checkpoint
        without --BERT_CONFIG_PATH or --VOCAB_PATH, or a model that does not record its
        vocabulary and no --VOCAB_PATH.
      CheckpointError: the model's checkpoint files cannot be read.
    """
    why = " with --EVAL_ONLY/--PREDICT_ONLY"
    if o.model_format is not None:
        model_format = o.model_format.upper()
        if model_format not in MODEL_FORMATS:
            raise UsageError("--MODEL_FORMAT must be one of %s, got %r"
                             % (", ".join(MODEL_FORMATS), o.model_format))
    else:
        model_format = "CKPT" if looks_like_tf_checkpoint(o.checkpoint_path or "") else "HDF5"
    if model_format == "CKPT":
        _need_checkpoint(o.checkpoint_path, "--CHECKPOINT_PATH", why)
        _need_file(o.bert_config_path, "--BERT_CONFIG_PATH",
                   " with --MODEL_FORMAT CKPT (a Google checkpoint)")
        _need_file(o.vocab_path, "--VOCAB_PATH", " with a Google checkpoint")
        return dict(model_format=model_format)
    if not o.checkpoint_path:
        raise UsageError("--CHECKPOINT_PATH is required%s" % why)
    if o.vocab_path:
        _need_file(o.vocab_path, "--VOCAB_PATH")
        return dict(model_format=model_format)
    from power_bert.checkpoint import StageCheckpoint
    recorded = StageCheckpoint.load(o.checkpoint_path).vocab_path
    if not recorded:
        raise UsageError("model %s does not record its vocabulary; give --VOCAB_PATH"
                         % o.checkpoint_path)
    _need_file(recorded, "--VOCAB_PATH", " (the vocabulary model %s records, %s, is gone)"
               % (o.checkpoint_path, recorded))
    return dict(model_format=model_format, vocab_path=recorded)


def _check_combinations(o: Options, task: TaskSpec):
    if o.retention_configuration is not None and o.action == "train":
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
    if o.tune_split != "rows":
        if not o.tune_fraction:
            raise UsageError("--TUNE_SPLIT %s says what --TUNE_FRACTION holds out; give "
                             "--TUNE_FRACTION too" % o.tune_split)
        if task.text_b is not None:
            raise UsageError("--TUNE_SPLIT sentences is for single-sentence tasks (SST-2's "
                             "training rows are sentences and their phrases); %s has "
                             "sentence pairs: drop the flag" % task.name)
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


def _checked_raw_text(o: Options, task: TaskSpec) -> Dict:
    """``predict --INPUT``: the input, the output and the model (one of --CHECKPOINT_PATH
    and --SAVED_MODEL); returns the formats, the model's format and vocabulary and dynamic
    padding (every batch is padded to its longest example)."""
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
    checked = dict(input_format=rawtext.input_format(o.input_path, o.input_format),
                   output_format=rawtext.output_format(o.output_path, o.output_format),
                   dynamic_padding=True)
    if o.output_path and o.output_path != rawtext.STDIO:  # before the model is loaded
        check_file_writable(o.output_path, "--OUTPUT")
    if bool(o.checkpoint_path) == bool(o.saved_model):
        raise UsageError("with --INPUT give the model as either --CHECKPOINT_PATH (a stage "
                         "checkpoint) or --SAVED_MODEL (a folder of power-bert export)")
    if o.checkpoint_path:
        return dict(checked, **_trained_model(o))
    if not rawtext.is_saved_model(o.saved_model):
        raise UsageError("--SAVED_MODEL: %s is not a folder written by power-bert export (no "
                         "%s)" % (o.saved_model, " or ".join(rawtext.SAVED_MODEL_FILES)))
    model_task = rawtext.read_saved_model_metadata(o.saved_model).task
    if model_task != (task.label_task or task.name):
        raise UsageError("--SAVED_MODEL %s was exported for task %s; --TASK %s needs a %s "
                         "model" % (o.saved_model, model_task, task.name,
                                    task.label_task or task.name))
    for flag, value in (("--RETENTION_CONFIG", o.retention_configuration), ("--XLA", o.xla),
                        ("--MIXED_PRECISION", o.mixed_precision != "none"),
                        ("--VOCAB_PATH", o.vocab_path), ("--BERT_CONFIG_PATH",
                                                         o.bert_config_path)):
        if value:
            raise UsageError("%s does not apply to --SAVED_MODEL: the export fixed it (see "
                             "power-bert export)" % flag)
    return checked


def looks_like_tf_checkpoint(path: str) -> bool:
    """A Google/TensorFlow checkpoint prefix, its .index, or a folder holding one."""
    return os.path.exists(path + ".index") or path.endswith(".index") or (
        os.path.isdir(path) and any(f.endswith(".index") for f in os.listdir(path)))
