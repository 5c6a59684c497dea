"""``power-bert check-data`` (and ``data_parser.py``): check a GLUE folder and show what
the pipeline will read from it.

    power-bert check-data --TASK cola --DATA_DIR ../shared/glue/CoLA \
        [--VOCAB_PATH uncased_L-12_H-768_A-12/vocab.txt] [--CASED] [--MAX_SEQ_LEN 64]

DATA_DIR may hold either GLUE layout: the GLUE download script's TSV files, or the
Hugging Face ``nyu-mll/glue`` parquet files (the dataset's root or the task's config
folder). The report starts with the layout that was detected (a folder with neither, or
both, is one ``error:`` line saying what was looked for). For each split of the task it
prints the file, the row count, the rows skipped for a wrong column count (with line
numbers), the label distribution (or the score range) and, with a vocabulary, word-piece
length statistics and how many examples are truncated at the maximum sequence length.
The exit status is 0 when every split reads cleanly, 2 otherwise (one ``error:`` line
after the report).
"""
import argparse
import os
import sys
import warnings
from typing import List

from power_bert.check_data import describe_labels, describe_lengths, describe_skipped
from power_bert.data import (FOLDERS, LAYOUT_NAMES, PARQUET, DataParser, DataWarning,
                             detect_layout, read_split)
from power_bert.errors import DataError, UsageError
from power_bert.tasks import TASK_NAMES, get_task


def add_arguments(parser):
    parser.add_argument("--TASK", required=True, help="one of: %s" % ", ".join(TASK_NAMES))
    parser.add_argument("--DATA_DIR", required=True,
                        help="the task's GLUE folder (TSV) or the nyu-mll/glue download "
                             "(parquet: its root or the task's config folder)")
    parser.add_argument("--VOCAB_PATH", default=None,
                        help="BERT vocab.txt; adds word-piece length statistics")
    parser.add_argument("--CASED", action="store_true", help="cased vocabulary (no lower-casing)")
    parser.add_argument("--MAX_SEQ_LEN", type=int, default=None,
                        help="maximum sequence length (default: the task's)")


def run(args: argparse.Namespace) -> int:
    """Reads every split of the task and prints what was found.

    Raises:
      UsageError: a bad flag; DataError: a split that cannot be read (after all
        splits were tried and shown).
    """
    if not os.path.isdir(args.DATA_DIR):
        raise UsageError("--DATA_DIR: %s is not a folder" % os.path.abspath(args.DATA_DIR))
    if args.MAX_SEQ_LEN is not None and args.MAX_SEQ_LEN < 3:
        raise UsageError("--MAX_SEQ_LEN must be an integer >= 3 ([CLS] a [SEP] b [SEP]), got %d"
                         % args.MAX_SEQ_LEN)
    try:
        task = get_task(args.TASK)
    except ValueError as exc:
        raise UsageError("--TASK: %s" % exc) from None
    tokenizer = None
    if args.VOCAB_PATH is not None:
        tokenizer = DataParser(args.VOCAB_PATH, task, args.DATA_DIR,
                               seq_len=args.MAX_SEQ_LEN, cased=args.CASED)
    seq_len = tokenizer.seq_len if tokenizer else (args.MAX_SEQ_LEN or task.seq_len)
    print("task %s (GLUE %s): %s, seq_len %d, main metric %s%s"
          % (task.name, task.glue_name or "-",
             "regression" if task.is_regression else "labels " + ", ".join(task.labels),
             seq_len, task.main_metric,
             ", predicted by the %s model" % task.label_task if task.label_task else ""))
    layout = detect_layout(task, args.DATA_DIR)  # neither or both layouts: one error line
    print("layout %s%s" % (LAYOUT_NAMES[layout], ", config %s" % task.hub.config
                           if layout == PARQUET else ""))
    errors: List[str] = []
    with warnings.catch_warnings():
        # Skipped rows are listed per split below; the reader's warning would repeat them.
        warnings.simplefilter("ignore", DataWarning)
        for split in task.splits:
            try:
                data = read_split(task, args.DATA_DIR, split)
            except DataError as exc:
                print("%-5s error: %s" % (split, exc), file=sys.stderr)
                errors.append(split)
                continue
            more = len(data.paths) - 1
            if data.layout == FOLDERS:  # data.path is the split's folder
                where = " (%d files)" % len(data.paths)
            else:
                where = " (+%d more shards)" % more if more > 0 else ""
            print("%-5s %s%s" % (split, data.path, where))
            print("      rows: %d, %s" % (data.num_rows, describe_skipped(data)))
            if split != "test" or task.labelled_test:
                print("      " + describe_labels(task, data))
            if tokenizer is not None:
                print("      " + describe_lengths(tokenizer, data))
    if errors:
        raise DataError("%d of %d splits could not be read: %s (see above)"
                        % (len(errors), len(task.splits), ", ".join(errors)))
    return 0
