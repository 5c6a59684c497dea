"""``power-bert elimination``: which word pieces survive each encoder of a PoWER-BERT
model, as text tables and pictures, and how often each position survives over a dev set
(``power_bert.elimination``)."""
import os
from typing import List

import numpy as np

from power_bert.commands import run_options
from power_bert.elimination import (FORMATS, example_records, kept_positions, plot_pictures,
                                    plot_survival, survival_frequencies, text_table)
from power_bert.errors import UsageError, check_integer


def add_arguments(parser):
    p = parser
    p.add_argument("--CHECKPOINT_PATH", required=True,
                   help="a PoWER-BERT model (OUTPUT_DIR/retrain.hdf5), or a fine-tuned model "
                        "with --RETENTION_CONFIG")
    p.add_argument("--RETENTION_CONFIG", help="l_1,...,l_L; overrides the saved one")
    p.add_argument("--WORD_SELECTION", help="attention, head or random (default: the "
                                            "model's)")
    p.add_argument("--SEED", type=int, default=run_options.DEFAULTS["seed"],
                   help="seed of random word selection when --WORD_SELECTION is given "
                        "(default %(default)s)")
    p.add_argument("--TASK", help="task of the sentences (default: the model's)")
    p.add_argument("--DATA_DIR", help="the task's data folder (dev examples)")
    p.add_argument("--VOCAB_PATH", help="vocab.txt (default: the one saved with the model)")
    p.add_argument("--SENTENCES", help="a UTF-8 file with one example a line (a pair: the two "
                                       "sentences separated by a tab) instead of dev examples")
    p.add_argument("--NUM_EXAMPLES", type=int, default=10,
                   help="pictures of the first N dev examples (default 10)")
    p.add_argument("--SURVIVAL_EXAMPLES", type=int,
                   help="survival frequencies over the first N dev examples (default: all; "
                        "needs --DATA_DIR)")
    p.add_argument("--BATCH_SIZE", type=int, default=64, help="inference batch (default 64)")
    p.add_argument("--FORMAT", choices=FORMATS, default="png", help="figure format")
    p.add_argument("--OUTPUT_DIR", required=True, help="folder of the JSON files and figures")


def _read_sentences(path: str) -> List:
    from power_bert.data import DataError, Example
    try:
        with open(path, encoding="utf-8") as reader:
            lines = reader.read().splitlines()
    except UnicodeDecodeError as e:
        raise DataError("--SENTENCES %s: not valid UTF-8 (byte %d)" % (path, e.start)) from None
    except OSError as e:
        raise UsageError("--SENTENCES: cannot read %s: %s" % (path, e.strerror or e)) from None
    examples = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) > 2:
            raise DataError("--SENTENCES %s, line %d: %d tab-separated parts; give one sentence "
                            "or a pair" % (path, number, len(parts)))
        examples.append(Example("line-%d" % number, parts[0], parts[1] if len(parts) > 1
                                else None, None))
    if not examples:
        raise DataError("--SENTENCES %s holds no sentence" % path)
    return examples


def _check(args):
    for flag in ("--NUM_EXAMPLES", "--BATCH_SIZE", "--SURVIVAL_EXAMPLES"):
        if getattr(args, flag[2:]) is not None:
            check_integer(getattr(args, flag[2:]), flag, 1)
    if not args.SENTENCES and not args.DATA_DIR:
        raise UsageError("give --DATA_DIR (the first --NUM_EXAMPLES dev examples) or "
                         "--SENTENCES")
    if args.SENTENCES and not os.path.isfile(args.SENTENCES):
        raise UsageError("--SENTENCES: file not found: %s" % args.SENTENCES)
    if args.DATA_DIR and not os.path.isdir(args.DATA_DIR):
        raise UsageError("--DATA_DIR: folder not found: %s" % args.DATA_DIR)
    if os.path.exists(args.OUTPUT_DIR) and not os.path.isdir(args.OUTPUT_DIR):
        raise UsageError("--OUTPUT_DIR: %s exists and is not a folder" % args.OUTPUT_DIR)


def run(args) -> int:
    """Loads the model, finds what it keeps, prints and writes the pictures (and, with
    --DATA_DIR, the survival frequencies)."""
    from power_bert.data import DataParser
    from power_bert.trained import open_trained
    _check(args)
    trained = open_trained(args.CHECKPOINT_PATH, task=args.TASK, vocab_path=args.VOCAB_PATH,
                           retention_configuration=args.RETENTION_CONFIG,
                           word_selection=args.WORD_SELECTION,
                           seed=args.SEED, allow_search=bool(args.RETENTION_CONFIG))
    if trained.checkpoint.mode != "retrain":
        raise UsageError("%s eliminates no word vectors (a %s-stage model): give a "
                         "retrain.hdf5 or --RETENTION_CONFIG"
                         % (args.CHECKPOINT_PATH, trained.checkpoint.mode))
    parser = DataParser(trained.vocab_path, trained.task, args.DATA_DIR or ".",
                        seq_len=trained.seq_len, cased=trained.cased)
    if args.SENTENCES:
        encoded = parser.encode_examples(_read_sentences(args.SENTENCES))
        x = [encoded.token_ids, encoded.segment_ids]
    else:
        x, _ = parser.get_dev_data(max_examples=args.NUM_EXAMPLES)
    model = trained.load(inference=False)  # its Extract layers give the kept positions
    os.makedirs(args.OUTPUT_DIR, exist_ok=True)
    _write_pictures(args, trained, parser, model, x)
    if args.DATA_DIR:
        _write_survival(args, trained, parser, model)
    return 0


def _write_pictures(args, trained, parser, model, x):
    """The text table of every example, elimination.json and the pictures."""
    from power_bert.inference import real_lengths
    from power_bert.outputs import write_json_atomically
    checkpoint = trained.checkpoint
    inverse = {index: token for token, index in parser.token_dict.items()}
    lengths = real_lengths(x[0])
    tokens = [[inverse.get(int(t), "[UNK]") for t in row[:n]] for row, n in zip(x[0], lengths)]
    records = example_records(tokens, kept_positions(model, x, args.BATCH_SIZE),
                              checkpoint.retention_configuration)
    for i, record in enumerate(records, 1):
        print("example %d (%d word pieces)" % (i, len(record["tokens"])))
        print(text_table(record))
        print("")
    base = os.path.join(args.OUTPUT_DIR, "elimination")
    write_json_atomically(base + ".json", {
        "checkpoint": os.path.abspath(args.CHECKPOINT_PATH), "task": trained.task.name,
        "word_selection": checkpoint.word_selection, "examples": records})
    plot_pictures(records, base + "." + args.FORMAT)
    print("pictures written to %s.json and %s.%s" % (base, base, args.FORMAT))


def _write_survival(args, trained, parser, model):
    """How often each input position survives each encoder over the dev examples:
    survival.json and its plot."""
    from power_bert.inference import real_lengths
    from power_bert.outputs import write_json_atomically
    checkpoint, task, seq_len = trained.checkpoint, trained.task, trained.seq_len
    dev_x, _ = parser.get_dev_data(max_examples=args.SURVIVAL_EXAMPLES)
    dev_lengths = real_lengths(dev_x[0])
    table = survival_frequencies(kept_positions(model, dev_x, args.BATCH_SIZE),
                                 dev_lengths, seq_len)
    base = os.path.join(args.OUTPUT_DIR, "survival")
    write_json_atomically(base + ".json", {
        "checkpoint": os.path.abspath(args.CHECKPOINT_PATH), "task": task.name,
        "num_examples": int(len(dev_lengths)),
        "retention_configuration": list(checkpoint.retention_configuration),
        "word_selection": checkpoint.word_selection,
        "examples_per_position": [int(c) for c in
                                  (np.arange(seq_len)[None] < dev_lengths[:, None]).sum(0)],
        "survival": [[None if np.isnan(v) else round(float(v), 4) for v in row]
                     for row in table]})
    plot_survival(table, base + "." + args.FORMAT,
                  "%s dev (%d examples): survival by input position, retention "
                  "configuration %s" % (task.name, len(dev_lengths),
                                        ",".join(map(str, checkpoint.retention_configuration))))
    print("survival frequencies written to %s.json and %s.%s" % (base, base, args.FORMAT))
