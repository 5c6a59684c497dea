"""``power-bert train``, ``eval`` and ``predict``, and ``main.py`` (all three in one, with
the original release's ``--EVAL_ONLY``/``--PREDICT_ONLY``): the upper-case flags of the
original release, mapped onto ``options.Options`` and run by ``pipeline.run``."""
from power_bert.options import PADDING_BUCKETS
from power_bert.tasks import TASK_NAMES

ALL = ("train", "eval", "predict", "main")
TRAIN = ("train", "main")
TRAINED = ("eval", "predict", "main")
# power-bert ablation (ablation.py): re-training from a fine-tuned model at a given
# retention configuration takes these flags too
ABLATION = ("--TASK", "--DATA_DIR", "--VOCAB_PATH", "--OUTPUT_DIR", "--EPOCH", "--BATCH_SIZE",
            "--EVAL_BATCH_SIZE", "--LR_BERT", "--CASED", "--RETENTION_CONFIG",
            "--DYNAMIC_PADDING", "--XLA", "--MIXED_PRECISION", "--SEED",
            "--MAX_TRAIN_EXAMPLES", "--MAX_EVAL_EXAMPLES", "--FINETUNED_CHECKPOINT",
            "--VERBOSE")

# (flag, argparse keyword arguments, commands that take it)
FLAGS = (
    ("--TASK", dict(required=True, help="task name, one of: %s" % ", ".join(TASK_NAMES)), ALL),
    ("--BERT_CONFIG_PATH", dict(help="bert_config.json of the pre-trained BERT (with "
                                     "--MODEL_FORMAT CKPT: of the fine-tuned checkpoint)"), ALL),
    ("--CHECKPOINT_PATH", dict(help="training: the pre-trained Google checkpoint "
                                    "(bert_model.ckpt); eval/predict: a model trained here "
                                    "(e.g. OUTPUT_DIR/retrain.hdf5) or a fine-tuned Google "
                                    "checkpoint"), ALL),
    ("--VOCAB_PATH", dict(help="vocab.txt of the BERT checkpoint"), ALL),
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
    ("--EPOCH", dict(type=int, default=3, help="epochs of each training stage (default 3)"),
     TRAIN),
    ("--BATCH_SIZE", dict(type=int, help="training batch size (default: the task's "
                                         "reference value, else 32); eval/predict: inference "
                                         "batch size"), ALL),
    ("--EVAL_BATCH_SIZE", dict(type=int, help="batch size for dev/test inference "
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
    ("--MODEL_FORMAT", dict(choices=["HDF5", "CKPT", "hdf5", "ckpt"],
                            help="HDF5: a model saved by this project; CKPT: a Google TF "
                                 "checkpoint with a classifier head (default: detected)"),
     TRAINED),
    ("--PRED_GLUE", dict(action="store_true", help="write test predictions as "
                                                   "OUTPUT_DIR/glue/<Task>.tsv for the GLUE "
                                                   "server"), ("train", "predict", "main")),
    ("--DYNAMIC_PADDING", dict(nargs="?", const="true", metavar="true|false",
                               help="pad each batch to its longest example (rounded up to "
                                    "PADDING_BUCKETS): the same loss and predictions as "
                                    "fixed padding, faster on short sentences (default: "
                                    "true for eval/predict, false for training; the flag "
                                    "alone means true)"), ALL),
    ("--PADDING_BUCKETS", dict(type=int, default=None,
                               help="with dynamic padding, round each batch's length up to "
                                    "a multiple of this (>= 1; 1: exact lengths), so XLA "
                                    "compiles a few shapes (default %d)" % PADDING_BUCKETS),
     ALL),
    ("--XLA", dict(nargs="?", const="true", metavar="true|false",
                   help="true: compile training steps (model.compile(jit_compile=True)) "
                        "and dev/test inference with XLA; false (default): neither. XLA "
                        "compiles once per input shape: worth it for long test sets; the "
                        "flag alone means true"), ALL),
    ("--MIXED_PRECISION", dict(default="none", help="none (default), float16 or bfloat16: "
                                                    "the Keras mixed-precision policy for "
                                                    "training and inference (softmax, "
                                                    "significance, LayerNorm, the loss and "
                                                    "the retention parameters stay float32; "
                                                    "float16 scales the loss)"), ALL),
    ("--DISTRIBUTE", dict(default="none", help="none (default), mirrored (tf.distribute."
                                               "MirroredStrategy over every GPU, else every "
                                               "logical CPU device; BATCH_SIZE is the global "
                                               "batch), auto (mirrored with 2+ GPUs) or "
                                               "multiworker (tf.distribute.MultiWorker"
                                               "MirroredStrategy over the machines of the "
                                               "TF_CONFIG environment variable; run the same "
                                               "command on each, the chief writes "
                                               "OUTPUT_DIR)"),
     TRAIN),
    ("--WORD_SELECTION", dict(help="which word vectors each encoder keeps: attention (PoWER-"
                                   "BERT, default), head (the first l_j positions, Head-WS) "
                                   "or random (a seeded random subset with [CLS], Rand-WS); "
                                   "training: the re-training stage; eval/predict: default "
                                   "the one saved with the model"), ALL),
    ("--EVAL_SPLIT", dict(default="dev", help="dev (default) or test: the split evaluated; "
                                              "test only for a task whose test set is "
                                              "labelled (imdb)"), TRAINED),
    ("--MAX_EVAL_EXAMPLES", dict(type=int, help="evaluate (and, in training, select epochs "
                                                "on) the first N examples of the evaluated "
                                                "split (quick runs on long documents)"),
     ("train", "eval", "main")),
    ("--SEED", dict(type=int, default=42, help="seed of shuffling and initialisation "
                                               "(default 42)"), ALL),
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
    ("--TUNE_SEED", dict(type=int, default=0, help="seed of the held-out part of "
                                                   "--TUNE_FRACTION, independent of --SEED "
                                                   "(default 0)"), TRAIN),
    ("--FRESH", dict(action="store_true", help="start a new run even if an interrupted run "
                                               "of the same command could be resumed"), TRAIN),
    ("--VERBOSE", dict(type=int, default=None,
                       help="Keras progress output: 0 none, 1 progress bars, 2 one line per "
                            "epoch (default: 1 on a terminal, 2 when standard output is a "
                            "file or a pipe)"), ALL),
)
ALIASES = {"--EPOCH": ("--EPOCHS",)}


def add_arguments(parser, command: str, exclude=()):
    """Adds the flags that ``command`` ("train", "eval", "predict" or "main") takes,
    except those in ``exclude`` (a command built on training, such as the sweep, sets
    them itself)."""
    for flag, kwargs, commands in FLAGS:
        # the ablation takes its flags as main.py defines them (one variant each)
        if (command in commands and flag not in exclude) or (
                command == "ablation" and flag in ABLATION and "main" in commands):
            parser.add_argument(flag, *ALIASES.get(flag, ()), dest=flag[2:], **kwargs)
    parser.set_defaults(command=command)


def options_from_args(args):
    """The ``Options`` of parsed flags (not yet validated: ``options.validate`` does)."""
    from power_bert.options import Options, resolve_verbose
    given = vars(args)
    action = args.command
    return Options(
        task=args.TASK, output_dir=args.OUTPUT_DIR, data_dir=args.DATA_DIR,
        bert_config_path=given.get("BERT_CONFIG_PATH"),
        checkpoint_path=given.get("CHECKPOINT_PATH"),
        vocab_path=args.VOCAB_PATH, epochs=given.get("EPOCH", 3),
        batch_size=args.BATCH_SIZE, lr_bert=given.get("LR_BERT"),
        lr_soft_extract=given.get("LR_SOFT_EXTRACT"), lam=given.get("LAMBDA"),
        cased=args.CASED, eval_only=given.get("EVAL_ONLY", action == "eval"),
        predict_only=given.get("PREDICT_ONLY", action == "predict"),
        retention_config=given.get("RETENTION_CONFIG"), model_format=given.get("MODEL_FORMAT"),
        pred_glue=given.get("PRED_GLUE", False), seed=args.SEED,
        max_train_examples=given.get("MAX_TRAIN_EXAMPLES"),
        finetuned_checkpoint=given.get("FINETUNED_CHECKPOINT"),
        search_checkpoint=given.get("SEARCH_CHECKPOINT"), fresh=given.get("FRESH", False),
        eval_batch_size=args.EVAL_BATCH_SIZE, dynamic_padding=args.DYNAMIC_PADDING,
        verbose=resolve_verbose(args.VERBOSE), xla=args.XLA, mixed_precision=args.MIXED_PRECISION,
        distribute=given.get("DISTRIBUTE", "none"),
        padding_buckets=(PADDING_BUCKETS if given.get("PADDING_BUCKETS") is None
                         else given["PADDING_BUCKETS"]),
        tune_fraction=given.get("TUNE_FRACTION"),
        tune_seed=given.get("TUNE_SEED", 0),
        input_path=given.get("INPUT"),
        input_format=given.get("INPUT_FORMAT"), output_path=given.get("OUTPUT"),
        output_format=given.get("OUTPUT_FORMAT"), saved_model=given.get("SAVED_MODEL"),
        word_selection=given.get("WORD_SELECTION"),
        eval_split=given.get("EVAL_SPLIT", "dev"),
        max_eval_examples=given.get("MAX_EVAL_EXAMPLES"))


def run(args):
    from power_bert.options import validate
    options = options_from_args(args)
    # before TensorFlow loads: a bad flag (or --INPUT row) costs no start-up time
    checked, task, _ = validate(options)
    texts = None
    if checked.input_path is not None:
        from power_bert.rawtext import read_texts
        texts = read_texts(checked.input_path, checked.input_format, task.text_b is not None)
    from power_bert.pipeline import run as run_pipeline
    run_pipeline(options, texts=texts)
