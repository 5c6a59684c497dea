"""The flags of a pipeline run, shared by ``power-bert train``, ``eval``, ``predict``,
``main.py`` (all three in one, with the original release's ``--EVAL_ONLY`` and
``--PREDICT_ONLY``), ``sweep`` and ``ablation``: the upper-case flags of the original
release, each mapped onto one field of ``options.Options`` (whose defaults are the
flags' defaults), then ``options.validate`` and ``pipeline.run``."""
from power_bert.commands.flags import add_switch, field_defaults
from power_bert.options import INFERENCE_DYNAMIC_PADDING, OTHER_FLAGS, Options
from power_bert.tasks import TASK_NAMES

# Each default is the field's default in ``options.Options``.
DEFAULTS = field_defaults(Options)
ALL = ("train", "eval", "predict", "main")
TRAIN = ("train", "main")
TRAINED = ("eval", "predict", "main")
INFERENCE = ("eval", "predict")
# power-bert ablation: re-training from a fine-tuned model at a given retention
# configuration takes these training flags (as train defines them), and its own rows
ABLATION = ("--TASK", "--DATA_DIR", "--VOCAB_PATH", "--OUTPUT_DIR", "--EPOCH", "--BATCH_SIZE",
            "--EVAL_BATCH_SIZE", "--LR_BERT", "--CASED", "--DYNAMIC_PADDING", "--XLA",
            "--MIXED_PRECISION", "--SEED", "--MAX_TRAIN_EXAMPLES", "--MAX_EVAL_EXAMPLES",
            "--FINETUNED_CHECKPOINT", "--VERBOSE")
# The Options field of each flag whose field is not its name in lower case.
FIELDS = {flag: field for field, flag in OTHER_FLAGS.items()}
SWITCHES = ("--DYNAMIC_PADDING", "--XLA")
ALIASES = {"--EPOCH": ("--EPOCHS",)}

# (flag, argparse keyword arguments, commands that take it)
FLAGS = (
    ("--TASK", dict(required=True, help="task name, one of: %s" % ", ".join(TASK_NAMES)), ALL),
    ("--BERT_CONFIG_PATH", dict(help="bert_config.json of the pre-trained BERT"), ("train",)),
    ("--BERT_CONFIG_PATH", dict(help="bert_config.json of a fine-tuned Google checkpoint "
                                     "(--MODEL_FORMAT CKPT; a model trained here records "
                                     "its own)"), INFERENCE),
    ("--BERT_CONFIG_PATH", dict(help="bert_config.json of the pre-trained BERT (with "
                                     "--MODEL_FORMAT CKPT: of the fine-tuned checkpoint)"),
     ("main",)),
    ("--CHECKPOINT_PATH", dict(help="the pre-trained Google checkpoint (bert_model.ckpt)"),
     ("train",)),
    ("--CHECKPOINT_PATH", dict(help="a model trained here (e.g. OUTPUT_DIR/retrain.hdf5) or "
                                    "a fine-tuned Google checkpoint"), INFERENCE),
    ("--CHECKPOINT_PATH", dict(help="training: the pre-trained Google checkpoint "
                                    "(bert_model.ckpt); eval/predict: a model trained here "
                                    "(e.g. OUTPUT_DIR/retrain.hdf5) or a fine-tuned Google "
                                    "checkpoint"), ("main",)),
    ("--VOCAB_PATH", dict(help="vocab.txt of the BERT checkpoint"), ("train",)),
    ("--VOCAB_PATH", dict(help="vocab.txt (default: the one the model's checkpoint records; "
                               "required with a Google checkpoint)"), INFERENCE),
    ("--VOCAB_PATH", dict(help="vocab.txt of the BERT checkpoint (eval/predict: default the "
                               "one the model's checkpoint records)"), ("main",)),
    ("--DATA_DIR", dict(help="the task's GLUE folder: train/dev/test .tsv files of the "
                             "GLUE download, or the nyu-mll/glue parquet download (its root "
                             "or the task's config folder)"), ALL),
    ("--OUTPUT_DIR", dict(required=True, help="folder for checkpoints, log and results"),
     ("train", "eval", "main")),
    ("--OUTPUT_DIR", dict(help="folder for the test-set predictions and the log (not with "
                               "--INPUT)"), ("predict",)),
    ("--INPUT", dict(help="predict raw text instead of the GLUE test set: a .tsv/.csv file "
                          "with a header (columns sentence, sentence2), a .jsonl file "
                          "(keys sentence, sentence2), a .txt file (one sentence per line), "
                          "or - for standard input (default format txt)"), ("predict",)),
    ("--INPUT_FORMAT", dict(choices=["tsv", "csv", "jsonl", "txt"],
                            help="format of --INPUT (default: from its extension)"),
     ("predict",)),
    ("--OUTPUT", dict(help="with --INPUT: the predictions file (written atomically), or - "
                           "for standard output (default)"), ("predict",)),
    ("--OUTPUT_FORMAT", dict(choices=["tsv", "jsonl"],
                             help="with --INPUT: tsv (default) or jsonl (default for a "
                                  ".jsonl/.json --OUTPUT)"), ("predict",)),
    ("--SAVED_MODEL", dict(help="with --INPUT: a folder written by power-bert export, "
                                "instead of --CHECKPOINT_PATH"), ("predict",)),
    ("--EPOCH", dict(type=int, default=DEFAULTS["epochs"],
                     help="epochs of each training stage (default %(default)s)"), TRAIN),
    ("--SEARCH_EPOCHS", dict(type=int, help="epochs of the configuration search alone, e.g. "
                                            "more than EPOCH when few steps limit how far "
                                            "the search can go (default: EPOCH)"), TRAIN),
    ("--BATCH_SIZE", dict(type=int, help="training batch size (default: the task's "
                                         "reference value, else 32)"), ("train",)),
    ("--BATCH_SIZE", dict(type=int, help="training batch size (default: the task's "
                                         "reference value, else 32); with --EVAL_ONLY or "
                                         "--PREDICT_ONLY the inference batch size"),
     ("main",)),
    ("--BATCH_SIZE", dict(type=int, help="inference batch size (default: the task's "
                                         "reference value, else 32)"), INFERENCE),
    ("--EVAL_BATCH_SIZE", dict(type=int, help="batch size of the dev/test inference "
                                              "(default: BATCH_SIZE)"), ALL),
    ("--LR_BERT", dict(type=float, help="peak learning rate of the BERT weights (default: the "
                                        "task's reference value, else 3e-5)"), TRAIN),
    ("--LR_SOFT_EXTRACT", dict(type=float, help="peak learning rate of the retention "
                                                "parameters in the search (default: the "
                                                "task's reference value, else 1e-3)"), TRAIN),
    ("--LAMBDA", dict(type=float, help="weight of the mass regulariser: larger removes more "
                                       "word vectors (default: the task's reference value, "
                                       "else 1e-3)"), TRAIN),
    ("--CASED", dict(action="store_true", help="the BERT model is cased"), ALL),
    ("--EVAL_ONLY", dict(action="store_true", help="evaluate the model at CHECKPOINT_PATH on "
                                                   "the dev set"), ("main",)),
    ("--PREDICT_ONLY", dict(action="store_true", help="predict the test set with the model at "
                                                      "CHECKPOINT_PATH"), ("main",)),
    ("--RETENTION_CONFIG", dict(help="comma-separated word vectors kept per encoder, e.g. "
                                     "64,48,32,16; overrides the one saved with the model"),
     TRAINED),
    ("--RETENTION_CONFIG", dict(help="comma-separated word vectors kept per encoder, e.g. "
                                     "64,48,32,16: the configuration of every re-training"),
     ("ablation",)),
    ("--MODEL_FORMAT", dict(choices=["HDF5", "CKPT", "hdf5", "ckpt"],
                            help="HDF5: a model saved by this project; CKPT: a Google TF "
                                 "checkpoint with a classifier head (default: detected)"),
     TRAINED),
    ("--PRED_GLUE", dict(action="store_true", help="write test predictions as "
                                                   "OUTPUT_DIR/glue/<Task>.tsv for the GLUE "
                                                   "server"), ("train", "predict", "main")),
    ("--DYNAMIC_PADDING", dict(help="pad each batch to its longest example (rounded up to "
                                    "PADDING_BUCKETS): the same loss and predictions as "
                                    "fixed padding, faster on short sentences (default: "
                                    "%s for eval/predict, false for training)"
                                    % str(INFERENCE_DYNAMIC_PADDING).lower()), ALL),
    ("--PADDING_BUCKETS", dict(type=int, default=DEFAULTS["padding_buckets"],
                               help="with dynamic padding, round each batch's length up to "
                                    "a multiple of this (>= 1; 1: exact lengths), so XLA "
                                    "compiles a few shapes (default %(default)s)"),
     ALL),
    ("--XLA", dict(help="true: compile training steps (model.compile(jit_compile=True)) "
                        "and dev/test inference with XLA; false (default): neither. XLA "
                        "compiles once per input shape: worth it for long test sets"), ALL),
    ("--MIXED_PRECISION", dict(default=DEFAULTS["mixed_precision"],
                               help="none (default), float16 or bfloat16: the Keras "
                                    "mixed-precision policy for training and inference "
                                    "(softmax, significance, LayerNorm, the loss and the "
                                    "retention parameters stay float32; float16 scales the "
                                    "loss)"), ALL),
    ("--DISTRIBUTE", dict(default=DEFAULTS["distribute"],
                          help="none (default), mirrored (tf.distribute.MirroredStrategy over "
                               "every GPU, else every logical CPU device; BATCH_SIZE is the "
                               "global batch), auto (mirrored with 2+ GPUs) or multiworker "
                               "(tf.distribute.MultiWorkerMirroredStrategy over the machines "
                               "of the TF_CONFIG environment variable; run the same command "
                               "on each, the chief writes OUTPUT_DIR)"), TRAIN),
    ("--WORD_SELECTION", dict(help="which word vectors each encoder keeps: attention (PoWER-"
                                   "BERT, default), head (the first l_j positions, Head-WS) "
                                   "or random (a seeded random subset with [CLS], Rand-WS); "
                                   "training: the re-training stage; eval/predict: default "
                                   "the one saved with the model"), ALL),
    ("--EVAL_SPLIT", dict(default=DEFAULTS["eval_split"],
                          help="dev (default) or test: the split evaluated; test only for a "
                               "task whose test set is labelled (imdb)"), TRAINED),
    ("--MAX_EVAL_EXAMPLES", dict(type=int, help="evaluate (and, in training, select epochs "
                                                "on) the first N examples of the evaluated "
                                                "split (quick runs on long documents)"),
     ("train", "eval", "main")),
    ("--SEED", dict(type=int, default=DEFAULTS["seed"],
                    help="seed of shuffling and initialisation (default %(default)s)"), ALL),
    ("--MAX_TRAIN_EXAMPLES", dict(type=int, help="train on a seeded random subset of this "
                                                 "many examples (quick runs)"), TRAIN),
    ("--FINETUNED_CHECKPOINT", dict(help="skip fine-tuning: start the search from this "
                                         "fine-tuned model (OUTPUT_DIR/finetune.hdf5 of an "
                                         "earlier run)"), TRAIN),
    ("--SEARCH_CHECKPOINT", dict(help="skip fine-tuning and the search: re-train from this "
                                      "search-stage model (OUTPUT_DIR/latest/search.hdf5); the "
                                      "baseline is the finetune.hdf5 beside it or "
                                      "--FINETUNED_CHECKPOINT"), TRAIN),
    ("--TUNE_FRACTION", dict(type=float, help="hold out this part of the training set "
                                              "(e.g. 0.2; of MAX_TRAIN_EXAMPLES when given), "
                                              "train without it and choose the epochs on "
                                              "it; the dev set is measured only for the "
                                              "chosen models (default: choose on dev)"),
     TRAIN),
    ("--TUNE_SEED", dict(type=int, default=DEFAULTS["tune_seed"],
                         help="seed of the held-out part of --TUNE_FRACTION, independent "
                              "of --SEED (default %(default)s)"), TRAIN),
    ("--TUNE_SPLIT", dict(default=DEFAULTS["tune_split"],
                          help="what --TUNE_FRACTION holds out: rows, any training rows; "
                               "sentences, whole sentences only (rows no other row "
                               "contains), training on none of the phrases found only in "
                               "them: for SST-2, whose training rows are mostly phrases "
                               "of its sentences (default %(default)s)"), TRAIN),
    ("--FRESH", dict(action="store_true", help="start a new run even if an interrupted run "
                                               "of the same command could be resumed"), TRAIN),
    ("--VERBOSE", dict(type=int, default=None,
                       help="Keras progress output: 0 none, 1 progress bars, 2 one line per "
                            "epoch (default: 1 on a terminal, 2 when standard output is a "
                            "file or a pipe)"), ALL),
)


def _takes(command: str, flag: str, commands, exclude) -> bool:
    """Whether ``command`` takes this row of ``FLAGS``: the sweep takes the training
    flags (less ``exclude``), the ablation its own rows and the ``ABLATION`` flags as
    training defines them."""
    if command == "ablation":
        return "ablation" in commands or (flag in ABLATION and "train" in commands)
    if command == "sweep":
        command = "train"
    return command in commands and flag not in exclude


def add_arguments(parser, command: str, exclude=()):
    """Adds the flags that ``command`` ("train", "eval", "predict", "main", "sweep",
    "ablation") takes, except those in ``exclude`` (a command built on training, such as the sweep,
    sets them itself)."""
    for flag, kwargs, commands in FLAGS:
        if not _takes(command, flag, commands, exclude):
            continue
        if flag in SWITCHES:
            add_switch(parser, flag, kwargs["help"])
        else:
            parser.add_argument(flag, *ALIASES.get(flag, ()), dest=flag[2:], **kwargs)
    parser.set_defaults(command=command)


def field_of(flag: str) -> str:
    """The ``Options`` field of a flag (``--LAMBDA`` -> ``lambda_``)."""
    return FIELDS.get(flag, flag[2:].lower())


def options_from_args(args, **changes) -> Options:
    """The ``Options`` of parsed flags (not yet validated: ``options.validate`` does);
    a flag the command does not take keeps the field's default (a flag's own default is
    the field's, ``DEFAULTS``). ``changes`` replace
    fields (a command that sets some itself, such as the sweep's cells)."""
    from power_bert.options import resolve_verbose
    given = vars(args)
    action = "train" if args.command in ("ablation", "sweep") else args.command
    values = {field_of(flag): given[flag[2:]] for flag, _, _ in FLAGS if flag[2:] in given}
    values.setdefault("eval_only", action == "eval")
    values.setdefault("predict_only", action == "predict")
    values["verbose"] = resolve_verbose(given.get("VERBOSE"))
    values.update(changes)
    return Options(**values)


def run(args) -> int:
    """Validates the options (before TensorFlow loads: a bad flag, or --INPUT row, costs
    no start-up time) and runs the pipeline."""
    from power_bert.options import validate
    valid = validate(options_from_args(args))
    texts = None
    if valid.options.input_path is not None:
        from power_bert.rawtext import read_texts
        texts = read_texts(valid.options.input_path, valid.options.input_format,
                           valid.task.text_b is not None)
    from power_bert.pipeline import run as run_pipeline
    run_pipeline(valid, texts=texts)
    return 0
