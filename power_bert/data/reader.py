"""Reading one split of a task, from whichever layout its DATA_DIR holds.

The split is located once (``layout.task_split_source``) and read by the reader of its
layout: ``tsv``, ``parquet`` or ``folders``. All three give the same ``Example``s.
"""
from typing import List

from power_bert.data.folders import read_folder_split
from power_bert.data.layout import task_split_source
from power_bert.data.parquet import read_parquet_split
from power_bert.data.records import FOLDERS, PARQUET, Example, PathLike, SplitData, TaskLike
from power_bert.data.tsv import read_tsv_split
from power_bert.tasks import TaskSpec, get_task


def read_split(task: TaskLike, data_dir: PathLike, split: str) -> SplitData:
    """Read one split of a task, from whichever layout DATA_DIR holds.

    Args:
      task: task name or TaskSpec.
      data_dir: the task's DATA_DIR (see ``power_bert.tasks`` for ax).
      split: "train", "dev" or "test".

    Returns:
      A SplitData whose examples are in file order (parquet: ``idx`` order; a folder
      task: the order its ``split_seed`` gives).

    Raises:
      DataError: missing file, non-UTF-8 line, unknown label, bad score, or
        no usable row; for parquet, an unreadable file, a missing column, a
        null cell, a label outside the card's classes, a repeated idx.
      ValueError: unknown task or split name.

    Warns:
      DataWarning: once per TSV file when rows with a wrong column count were
        skipped.
    """
    return read_task_split(get_task(task), data_dir, split)


def read_examples(task: TaskLike, data_dir: PathLike, split: str) -> List[Example]:
    """The examples of ``read_split`` (same arguments and errors): labels are class
    indices (float scores for regression), None for an unlabelled test split."""
    return read_task_split(get_task(task), data_dir, split).examples


def read_task_split(task: TaskSpec, data_dir: PathLike, split: str) -> SplitData:
    """``read_split`` of a resolved task."""
    source = task_split_source(task, data_dir, split)
    if source.layout == PARQUET:
        return read_parquet_split(task, split, source.paths)
    if source.layout == FOLDERS:
        return read_folder_split(task, data_dir, split)
    return read_tsv_split(task, split, source.paths[0])
