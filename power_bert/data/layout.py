"""Which layout a DATA_DIR holds for a task, and where a split's files are in it.

A task with a ``FolderLayout`` (IMDB) has only its own layout (``FOLDERS``). A GLUE
task's DATA_DIR holds the TSV files of the GLUE download script (``TSV``) or the parquet
files of the Hugging Face ``nyu-mll/glue`` dataset (``PARQUET``), told apart by the files
found there. A folder holding neither layout, or both, is an error that lists what was
looked for.

The public functions take a task name or a ``TaskSpec`` and resolve it once; the
functions the rest of the package calls (``task_layout``, ``task_split_source``) take
the ``TaskSpec``.
"""
import os
from typing import List, Tuple

from power_bert.data import folders, parquet
from power_bert.data.records import (FOLDERS, LAYOUT_NAMES, PARQUET, TSV, PathLike,
                                     SplitSource, TaskLike)
from power_bert.data.tsv import tsv_candidates
from power_bert.errors import DataError
from power_bert.tasks import HUB_DATASET, TaskSpec, get_task


def detect_layout(task: TaskLike, data_dir: PathLike) -> str:
    """Which layout DATA_DIR holds for a task, from the files found there.

    The TSV layout is recognised by any of the task's split files (``train.tsv``,
    ``dev_matched.tsv``, ``diagnostic.tsv``, ...) in its search folders; the parquet
    layout by any ``<split>-NNNNN-of-NNNNN.parquet`` of the task's ``nyu-mll/glue``
    config split names in the hub search folders (DATA_DIR, ``DATA_DIR/<config>``).

    Args:
      task: task name or TaskSpec.
      data_dir: the DATA_DIR given by the user.

    Returns:
      ``TSV``, ``PARQUET`` or (a task with a ``FolderLayout``) ``FOLDERS``.

    Raises:
      DataError: DATA_DIR holds neither layout (the message lists every file and
        pattern looked for) or both (it names one file of each).
      ValueError: unknown task name.
    """
    return task_layout(get_task(task), data_dir)


def locate_split(task: TaskLike, data_dir: PathLike, split: str) -> SplitSource:
    """The layout and file(s) of one split under DATA_DIR.

    Args:
      task, data_dir: as for ``detect_layout``.
      split: "train", "dev" or "test".

    Returns:
      A SplitSource: the detected layout and the split's file(s).

    Raises:
      DataError: the task has no such split, DATA_DIR holds neither or both
        layouts, the split's file is missing from the detected layout (the message
        lists every path tried), or its parquet shards are incomplete.
      ValueError: unknown task or split name.
    """
    return task_split_source(get_task(task), data_dir, split)


def find_split_file(task: TaskLike, data_dir: PathLike, split: str) -> str:
    """The path of a split's file (its first shard for a parquet split; the first
    example file of a folder task): ``locate_split``'s first path, with its arguments
    and errors."""
    return task_split_source(get_task(task), data_dir, split).paths[0]


def task_layout(task: TaskSpec, data_dir: PathLike) -> str:
    """``detect_layout`` of a resolved task."""
    if task.folders is not None:
        folders.folder_root(task, data_dir)  # (raises when there is none)
        return FOLDERS
    tsv_tried, tsv_found = _tsv_files(task, data_dir)
    parquet_tried, parquet_found = _parquet_files(task, data_dir)
    root = os.path.abspath(os.fspath(data_dir))
    if tsv_found and parquet_found:
        raise DataError("DATA_DIR %s holds both GLUE layouts for task %s (%s and %s); point "
                        "DATA_DIR at a folder with only one of them"
                        % (root, task.name, tsv_found[0], parquet_found[0]))
    if tsv_found:
        return TSV
    if parquet_found:
        return PARQUET
    where = "DATA_DIR %s does not exist; " % root if not os.path.isdir(root) else ""
    looked = "the %s: %s" % (LAYOUT_NAMES[TSV], ", ".join(tsv_tried))
    if parquet_tried:
        looked += "; and the %s: %s" % (LAYOUT_NAMES[PARQUET], ", ".join(parquet_tried))
    raise DataError("Task %s: %sno GLUE data found in %s; looked for %s"
                    % (task.name, where, root, looked))


def _tsv_files(task: TaskSpec, data_dir: PathLike) -> Tuple[List[str], List[str]]:
    """(every TSV path looked at, those that exist), all splits of the task."""
    tried = [path for split in task.splits for path in tsv_candidates(task, data_dir, split)]
    return tried, [path for path in tried if os.path.isfile(path)]


def _parquet_files(task: TaskSpec, data_dir: PathLike) -> Tuple[List[str], List[str]]:
    """(every parquet shard pattern looked for, the shards found), all splits of the
    task; two empty lists for a task without a hub layout."""
    tried: List[str] = []
    found: List[str] = []
    if task.hub is None:
        return tried, found
    for split in task.splits:
        hub_split = task.hub.split_name(split)
        for folder in parquet.parquet_folders(task, data_dir):
            tried.append(parquet.parquet_pattern(folder, hub_split))
            found += [os.path.join(folder, name)
                      for name in sorted(parquet.shard_names(folder, hub_split))]
    return tried, found


def task_split_source(task: TaskSpec, data_dir: PathLike, split: str) -> SplitSource:
    """``locate_split`` of a resolved task."""
    if task.split_file(split) is None:
        hint = (" (it is predicted by the %s model)" % task.label_task
                if task.label_task else "")
        raise DataError("Task %s has no %s split; it has: %s%s"
                        % (task.name, split, ", ".join(task.splits), hint))
    layout = task_layout(task, data_dir)
    if layout == FOLDERS:
        folder = folders.split_folder(task, data_dir, split)
        return SplitSource(FOLDERS, tuple(path for path, _ in folders.class_files(task, folder)))
    if layout == TSV:
        tried = tsv_candidates(task, data_dir, split)
        for candidate in tried:
            if os.path.isfile(candidate):
                return SplitSource(TSV, (candidate,))
        raise DataError("Task %s, %s split: file not found; tried %s"
                        % (task.name, split, ", ".join(tried)))
    hub_split = task.hub.split_name(split)
    search = parquet.parquet_folders(task, data_dir)
    for folder in search:
        shards = parquet.complete_shards(folder, hub_split)
        if shards:
            return SplitSource(PARQUET, shards)
    raise DataError("Task %s, %s split (%s config %s, split %s): file not found; tried %s"
                    % (task.name, split, HUB_DATASET, task.hub.config, hub_split,
                       ", ".join(parquet.parquet_pattern(f, hub_split) for f in search)))
