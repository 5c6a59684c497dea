"""GLUE data: one table-driven reader of two layouts and a BERT input encoder.

Two layouts of GLUE are read, and which one a DATA_DIR holds is detected from its
content (``detect_layout``):

- ``tsv``: the GLUE download script's TSV files (``train.tsv``, ``dev.tsv``,
  ``test.tsv``, MNLI's ``dev_matched.tsv`` ..., ``diagnostic/diagnostic.tsv``);
- ``parquet``: the Hugging Face dataset ``nyu-mll/glue`` as ``huggingface-cli
  download nyu-mll/glue --repo-type dataset`` (or the hub cache) lays it out: one
  folder per config holding ``<split>-00000-of-00001.parquet`` (read with pandas and
  pyarrow), with integer labels in the dataset card's order and an ``idx`` column.

Both give the same ``Example``s: labels are this project's class indices (a
parquet label is converted by its label string, ``HubLayout.labels``, since the
card's order is not the project's, e.g. MNLI), and a test example's guid is the
TSV's index column or the parquet ``idx`` (parquet rows are taken in ``idx``
order). A folder holding neither layout, or both, is an error that lists what was
looked for.

The reader knows nothing about individual tasks; the row layout of every file
comes from ``power_bert.tasks``. TSV files are read with the csv module
(tab-delimited, ``csv.QUOTE_NONE`` because sentences contain quote characters)
as UTF-8; a leading byte-order mark is dropped (MRPC's header has one) and a
missing final newline is fine (CoLA's dev.tsv has none).

Problems in the files are never silent:

- Rows whose column count is not the task's count are skipped, counted, and
  reported by one ``DataWarning`` per file naming the file and the first few
  line numbers. Empty lines are ignored.
- A split with no usable row, an unknown label, a score that is not a number
  in the task's range, a line that is not UTF-8 and a missing file raise
  ``DataError`` naming the file (and the 1-based line number).
- In a parquet file, a missing column, a label that is not one of the card's
  classes (or a score outside the range), an empty (null) cell, a repeated
  ``idx`` and a file pyarrow cannot read raise ``DataError`` naming the file, the
  column and the 0-based row.

Only ``DataParser`` needs keras-bert (and so TensorFlow); it is imported when a
parser is built, so reading files stays light.

Example:
  parser = DataParser("uncased_L-12_H-768_A-12/vocab.txt", "cola", "glue_data/CoLA")
  (token_ids, segment_ids), y = parser.get_train_data()   # [N, 64] int32 each
"""
import csv
import logging
import math
import os
import re
import warnings
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from power_bert.errors import DataError  # a data or vocabulary file that cannot be used
from power_bert.tasks import (HUB_CARD_URL, HUB_DATASET, HUB_INDEX_COLUMN, HUB_LABEL_COLUMN,
                              SPLITS, TaskSpec, get_task)

logger = logging.getLogger(__name__)

DEFAULT_SEED = 42
# Tokens the vocabulary must have; [PAD] must also be id 0 (inputs are padded
# with 0 and the model masks id 0).
REQUIRED_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
# How many bad line numbers a warning shows.
_SHOWN_LINES = 5

TaskLike = Union[str, TaskSpec]
PathLike = Union[str, "os.PathLike[str]"]

# The two layouts of a DATA_DIR, and how they are named to the user.
TSV = "tsv"
PARQUET = "parquet"
LAYOUT_NAMES = {TSV: "GLUE download script (TSV files)",
                PARQUET: "Hugging Face %s (parquet files)" % HUB_DATASET}
# A parquet split's files: <split>-<shard>-of-<shards>.parquet, shards numbered from 0.
_SHARD = re.compile(r"^(?P<split>.+)-(?P<shard>\d{5})-of-(?P<shards>\d{5})\.parquet$")


class DataWarning(UserWarning):
    """Rows were skipped while reading a data file."""


@dataclass(frozen=True)
class Example:
    """One row of a GLUE file.

    Attributes:
      guid: for the test split, the file's index column or parquet ``idx`` (the
        submission's ``index``); for train/dev, ``"<split>-<line number>"`` (TSV) or
        ``"<split>-idx<idx>"`` (parquet).
      text_a: first sentence.
      text_b: second sentence, None for single-sentence tasks.
      label: class index into ``task.labels`` (int), the score (float) for
        regression, None for the test split.
    """

    guid: str
    text_a: str
    text_b: Optional[str]
    label: Union[int, float, None]


@dataclass(frozen=True)
class SplitSource:
    """Where one split is read from.

    Attributes:
      layout: ``TSV`` or ``PARQUET``.
      paths: the split's files in reading order: one TSV file, or the parquet
        shards (``<split>-00000-of-00001.parquet`` on the hub: one).
    """

    layout: str
    paths: Tuple[str, ...]


@dataclass(frozen=True)
class SplitData:
    """The result of reading one split's file(s).

    Attributes:
      task: the task read.
      split: "train", "dev" or "test".
      path: the file that was read (the first shard of a parquet split).
      examples: the usable rows, in file order (parquet: in ``idx`` order).
      num_rows: data rows in the file (header and empty lines not counted).
      skipped_lines: 1-based line numbers of rows skipped for a wrong column
        count (always empty for parquet: its rows have no column count).
      layout: ``TSV`` or ``PARQUET``, the layout the split was read from.
      paths: every file read (one but for a parquet split in several shards).
    """

    task: TaskSpec
    split: str
    path: str
    examples: List[Example]
    num_rows: int
    skipped_lines: Tuple[int, ...]
    layout: str = TSV
    paths: Tuple[str, ...] = ()


@dataclass(frozen=True)
class EncodedExamples:
    """BERT inputs for a list of examples.

    Attributes:
      token_ids: int32 [N, max_seq_len], padded with 0.
      segment_ids: int32 [N, max_seq_len], 0 for [CLS] text_a [SEP] and the
        padding, 1 for text_b [SEP].
      lengths: int64 [N], word pieces per example before truncation (with
        [CLS] and [SEP]s).
      num_truncated: how many examples were longer than max_seq_len.
    """

    token_ids: np.ndarray
    segment_ids: np.ndarray
    lengths: np.ndarray
    num_truncated: int


@dataclass(frozen=True)
class SplitStats:
    """What a DataParser read for one split (for logs and checks).

    Attributes:
      path: the file read.
      num_rows: data rows in the file.
      num_skipped: rows skipped for a wrong column count.
      num_examples: examples returned (after ``max_examples``).
      num_truncated: returned examples longer than max_seq_len.
      max_length: longest returned example in word pieces, before truncation.
    """

    path: str
    num_rows: int
    num_skipped: int
    num_examples: int
    num_truncated: int
    max_length: int


def _tsv_candidates(task: TaskSpec, data_dir: PathLike, split: str) -> List[str]:
    """Absolute paths where a split's TSV file may be, in search order."""
    name = task.split_file(split)
    return [os.path.abspath(os.path.join(os.fspath(data_dir), folder, name))
            for folder in task.search_dirs]


def _parquet_folders(task: TaskSpec, data_dir: PathLike) -> List[str]:
    """Absolute folders where the task's parquet files may be (none: TSV only)."""
    if task.hub is None:
        return []
    return [os.path.abspath(os.path.join(os.fspath(data_dir), folder))
            for folder in task.hub.search_dirs]


def _parquet_pattern(folder: str, hub_split: str) -> str:
    return os.path.join(folder, "%s-*-of-*.parquet" % hub_split)


def _shard_names(folder: str, hub_split: str) -> List[str]:
    """File names of a split's parquet shards in ``folder`` (unsorted, unchecked)."""
    try:
        names = os.listdir(folder)
    except OSError:  # not a folder, or not readable: nothing there
        return []
    return [name for name in names
            if (match := _SHARD.match(name)) and match.group("split") == hub_split
            and os.path.isfile(os.path.join(folder, name))]


def _complete_shards(folder: str, hub_split: str) -> Tuple[str, ...]:
    """The paths of a split's shards in ``folder`` in shard order; () when it has none.

    Raises:
      DataError: the shards found are not all of one set 0..N-1 (names the files).
    """
    names = sorted(_shard_names(folder, hub_split))
    if not names:
        return ()
    numbers = [(int(m.group("shard")), int(m.group("shards")))
               for m in (_SHARD.match(name) for name in names)]
    totals = {total for _, total in numbers}
    if len(totals) != 1 or sorted(n for n, _ in numbers) != list(range(totals.pop())):
        raise DataError("%s: the parquet shards of split %s are incomplete or mixed: found %s"
                        % (folder, hub_split, ", ".join(names)))
    return tuple(os.path.join(folder, name) for name in names)


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
      ``TSV`` or ``PARQUET``.

    Raises:
      DataError: DATA_DIR holds neither layout (the message lists every file and
        pattern looked for) or both (it names one file of each).
      ValueError: unknown task name.
    """
    task = get_task(task)
    tsv_tried: List[str] = []
    parquet_tried: List[str] = []
    tsv_found: List[str] = []
    parquet_found: List[str] = []
    for split in task.splits:
        for path in _tsv_candidates(task, data_dir, split):
            tsv_tried.append(path)
            if os.path.isfile(path):
                tsv_found.append(path)
        if task.hub is None:
            continue
        hub_split = task.hub.split_name(split)
        for folder in _parquet_folders(task, data_dir):
            parquet_tried.append(_parquet_pattern(folder, hub_split))
            parquet_found += [os.path.join(folder, name)
                              for name in sorted(_shard_names(folder, hub_split))]
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


def locate_split(task: TaskLike, data_dir: PathLike, split: str) -> SplitSource:
    """The layout and file(s) of one split under DATA_DIR.

    Args:
      task: task name or TaskSpec.
      data_dir: the DATA_DIR given by the user.
      split: "train", "dev" or "test".

    Returns:
      A SplitSource: the detected layout and the split's file(s).

    Raises:
      DataError: the task has no such split, DATA_DIR holds neither or both
        layouts, the split's file is missing from the detected layout (the message
        lists every path tried), or its parquet shards are incomplete.
      ValueError: unknown task or split name.
    """
    task = get_task(task)
    if task.split_file(split) is None:
        hint = (" (it is predicted by the %s model)" % task.label_task
                if task.label_task else "")
        raise DataError("Task %s has no %s split; it has: %s%s"
                        % (task.name, split, ", ".join(task.splits), hint))
    layout = detect_layout(task, data_dir)
    if layout == TSV:
        tried = _tsv_candidates(task, data_dir, split)
        for candidate in tried:
            if os.path.isfile(candidate):
                return SplitSource(TSV, (candidate,))
        raise DataError("Task %s, %s split: file not found; tried %s"
                        % (task.name, split, ", ".join(tried)))
    hub_split = task.hub.split_name(split)
    folders = _parquet_folders(task, data_dir)
    for folder in folders:
        shards = _complete_shards(folder, hub_split)
        if shards:
            return SplitSource(PARQUET, shards)
    raise DataError("Task %s, %s split (%s config %s, split %s): file not found; tried %s"
                    % (task.name, split, HUB_DATASET, task.hub.config, hub_split,
                       ", ".join(_parquet_pattern(f, hub_split) for f in folders)))


def find_split_file(task: TaskLike, data_dir: PathLike, split: str) -> str:
    """Locate a split's file under DATA_DIR (either layout, see ``locate_split``).

    Args:
      task: task name or TaskSpec.
      data_dir: the DATA_DIR given by the user.
      split: "train", "dev" or "test".

    Returns:
      The path of the split's file (its first shard for a parquet split).

    Raises:
      DataError: see ``locate_split``.
      ValueError: unknown task or split name.
    """
    return locate_split(task, data_dir, split).paths[0]


def read_split(task: TaskLike, data_dir: PathLike, split: str) -> SplitData:
    """Read one split of a task, from whichever layout DATA_DIR holds.

    Args:
      task: task name or TaskSpec.
      data_dir: the task's DATA_DIR (see ``power_bert.tasks`` for ax).
      split: "train", "dev" or "test".

    Returns:
      A SplitData whose examples are in file order (parquet: ``idx`` order).

    Raises:
      DataError: missing file, non-UTF-8 line, unknown label, bad score, or
        no usable row; for parquet, an unreadable file, a missing column, a
        null cell, a label outside the card's classes, a repeated idx.
      ValueError: unknown task or split name.

    Warns:
      DataWarning: once per TSV file when rows with a wrong column count were
        skipped.
    """
    task = get_task(task)
    source = locate_split(task, data_dir, split)
    if source.layout == PARQUET:
        return _read_parquet_split(task, split, source.paths)
    path = source.paths[0]
    is_test = split == "test"
    num_columns = task.split_num_columns(split)
    if is_test:
        text_a, text_b, target = task.test_text_a, task.test_text_b, task.test_index
    else:
        text_a, text_b, target = task.text_a, task.text_b, task.label
    label_index = {label: i for i, label in enumerate(task.labels or ())}

    examples: List[Example] = []
    skipped: List[int] = []
    num_rows = 0
    rows = _read_rows(path)
    if task.split_has_header(split):
        next(rows, None)
    for line_no, row in rows:
        if not row:
            continue
        num_rows += 1
        if len(row) != num_columns:
            skipped.append(line_no)
            continue
        second = row[text_b] if text_b is not None else None
        if is_test:
            guid = row[target].strip()
            if not guid:
                raise DataError("%s, line %d: the index column (%d) is empty"
                                % (path, line_no, target))
            examples.append(Example(guid, row[text_a], second, None))
        else:
            label = _parse_label(task, label_index, row[target], path, line_no)
            examples.append(Example("%s-%d" % (split, line_no), row[text_a], second, label))

    if skipped:
        warnings.warn("%s: skipped %d of %d rows whose column count is not %d (lines %s)"
                      % (path, len(skipped), num_rows, num_columns,
                         _format_lines(skipped)), DataWarning, stacklevel=2)
    if not examples:
        if skipped:
            reason = ("all %d rows have a column count other than %d (lines %s)"
                      % (num_rows, num_columns, _format_lines(skipped)))
        else:
            reason = "it has no data rows"
        raise DataError("%s: no usable %s example for task %s: %s"
                        % (path, split, task.name, reason))
    return SplitData(task, split, path, examples, num_rows, tuple(skipped), TSV, (path,))


def read_examples(task: TaskLike, data_dir: PathLike, split: str) -> List[Example]:
    """Read one split of a task.

    Args:
      task: task name or TaskSpec.
      data_dir: the task's DATA_DIR (see ``power_bert.tasks`` for ax).
      split: "train", "dev" or "test".

    Returns:
      The examples in file order (parquet: idx order); labels are class indices
      (float scores for regression), None for test.

    Raises:
      DataError: see ``read_split``.
      ValueError: unknown task or split name.
    """
    return read_split(task, data_dir, split).examples


def _read_rows(path: str) -> Iterator[Tuple[int, List[str]]]:
    """Yield (1-based line number, columns) for each line of a TSV file."""
    reader = None
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            for row in reader:
                yield reader.line_num, row
    except UnicodeDecodeError as exc:
        line_no, column = _locate_bad_utf8(path)
        raise DataError("%s, line %d: not valid UTF-8 (byte %d of the line: %s); "
                        "GLUE files are UTF-8 text" % (path, line_no, column, exc.reason)
                        ) from None
    except csv.Error as exc:
        line_no = reader.line_num if reader is not None else 0
        raise DataError("%s, line %d: %s" % (path, line_no, exc)) from None


def _locate_bad_utf8(path: str) -> Tuple[int, int]:
    """Return the 1-based line and byte column of the first non-UTF-8 byte."""
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return line_no, exc.start + 1
    return 0, 0


def _parse_label(task: TaskSpec, label_index: Dict[str, int], value: str,
                 path: str, line_no: int) -> Union[int, float]:
    """Turn a label cell into a class index or a score."""
    text = value.strip()
    if task.labels is not None:
        if text not in label_index:
            raise DataError("%s, line %d: unknown label %r for task %s; expected one of %s"
                            % (path, line_no, value, task.name,
                               ", ".join(repr(label) for label in task.labels)))
        return label_index[text]
    low, high = task.score_range
    try:
        score = float(text)
    except ValueError:
        score = math.nan
    if not low <= score <= high:
        raise DataError("%s, line %d: score %r for task %s is not a number in [%g, %g]"
                        % (path, line_no, value, task.name, low, high))
    return score


def _read_parquet_split(task: TaskSpec, split: str, paths: Sequence[str]) -> SplitData:
    """Read a split of the ``nyu-mll/glue`` layout: every shard, then rows in idx order.

    Train/dev guids are ``"<split>-idx<idx>"``; a test example's guid is its idx.
    """
    hub = task.hub
    is_test = split == "test"
    rows: List[Tuple[int, Example]] = []
    seen: Dict[int, Tuple[str, int]] = {}
    for path in paths:
        frame = _read_parquet_file(task, split, path)
        if frame.empty:  # its columns' types say nothing
            continue
        ids = _index_column(frame, path)
        first = _text_column(frame, hub.text_a, path, ids)
        second = (_text_column(frame, hub.text_b, path, ids) if hub.text_b is not None
                  else [None] * len(ids))
        labels = [None] * len(ids) if is_test else _label_column(task, frame, path, ids)
        for row, idx in enumerate(ids):
            if idx in seen:
                where = seen[idx]
                raise DataError("%s, column %r, row %d: idx %d repeats (first at row %d%s)"
                                % (path, HUB_INDEX_COLUMN, row, idx, where[1],
                                   "" if where[0] == path else " of " + where[0]))
            seen[idx] = (path, row)
            guid = str(idx) if is_test else "%s-idx%d" % (split, idx)
            rows.append((idx, Example(guid, first[row], second[row], labels[row])))
    if not rows:
        raise DataError("%s: no usable %s example for task %s: it has no data rows"
                        % (paths[0], split, task.name))
    rows.sort(key=lambda pair: pair[0])  # idx order, the order of the GLUE files
    return SplitData(task, split, paths[0], [example for _, example in rows], len(rows), (),
                     PARQUET, tuple(paths))


def _read_parquet_file(task: TaskSpec, split: str, path: str):
    """One parquet file as a pandas DataFrame that has the split's columns.

    Raises:
      DataError: pyarrow is missing, the file cannot be read, or a column is missing.
    """
    try:
        import pandas as pd
        import pyarrow
    except ImportError as exc:
        raise DataError("%s: reading the %s parquet layout needs pandas and pyarrow (%s); "
                        "pip install -r requirements.txt" % (path, HUB_DATASET, exc)) from None
    try:
        frame = pd.read_parquet(path, engine="pyarrow")
    except (pyarrow.ArrowException, OSError, ValueError) as exc:
        raise DataError("%s: cannot be read as a parquet file: %s"
                        % (path, " ".join(str(exc).split()))) from None
    needed = task.hub.columns(split)
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise DataError("%s: no column %s; task %s (%s config %s, see %s) needs %s; the file "
                        "has %s" % (path, ", ".join(repr(c) for c in missing), task.name,
                                    HUB_DATASET, task.hub.config, HUB_CARD_URL,
                                    ", ".join(needed),
                                    ", ".join(map(str, frame.columns)) or "no columns"))
    return frame


def _first_null(series) -> Optional[int]:
    """The 0-based row of the first null cell of a column, or None."""
    nulls = series.isna().to_numpy()
    return int(nulls.argmax()) if nulls.any() else None


def _index_column(frame, path: str) -> List[int]:
    """The ``idx`` column as ints (the GLUE submission index of each row)."""
    import pandas as pd

    series = frame[HUB_INDEX_COLUMN]
    row = _first_null(series)
    if row is not None:
        raise DataError("%s, column %r, row %d: no idx (null)" % (path, HUB_INDEX_COLUMN, row))
    if not pd.api.types.is_integer_dtype(series.dtype):
        raise DataError("%s, column %r holds %s values; the card's idx is an integer"
                        % (path, HUB_INDEX_COLUMN, series.dtype))
    return [int(value) for value in series.tolist()]


def _text_column(frame, column: str, path: str, ids: Sequence[int]) -> List[str]:
    """A sentence column as strings (empty strings are kept, as in the TSV files)."""
    series = frame[column]
    nulls = series.isna().to_numpy()
    values = series.tolist()
    for row, value in enumerate(values):
        if nulls[row] or not isinstance(value, str):
            what = "no text (null)" if nulls[row] else "%r is not a string" % (value,)
            raise DataError("%s, column %r, row %d (idx %d): %s"
                            % (path, column, row, ids[row], what))
    return values


def _label_column(task: TaskSpec, frame, path: str, ids: Sequence[int]
                  ) -> List[Union[int, float]]:
    """The ``label`` column as this project's class indices (scores for regression).

    A card integer k is the label string ``task.hub.labels[k]``, which is class
    ``task.labels.index(that string)`` here.
    """
    import pandas as pd

    hub = task.hub
    series = frame[HUB_LABEL_COLUMN]
    row = _first_null(series)
    if row is not None:
        raise DataError("%s, column %r, row %d (idx %d): no label (null)"
                        % (path, HUB_LABEL_COLUMN, row, ids[row]))
    dtype = series.dtype
    if hub.labels is None:
        usable = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        expected = hub.describe_labels()
    else:
        usable = pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
        expected = "a class integer: " + hub.describe_labels()
    if not usable:
        raise DataError("%s, column %r holds %s values; config %s's label is %s (see %s)"
                        % (path, HUB_LABEL_COLUMN, dtype, hub.config, expected, HUB_CARD_URL))
    if hub.labels is None:
        low, high = task.score_range
        scores = []
        # The card's scores are float32, the precision of the targets of both layouts
        # (DataParser's y): a TSV score of more digits ("2.11111111111111") is equal to
        # its parquet score once both are float32.
        for row, value in enumerate(series.to_numpy()):
            score = float(value)
            if not low <= score <= high:
                raise DataError("%s, column %r, row %d (idx %d): score %s for task %s is not a "
                                "number in [%g, %g]" % (path, HUB_LABEL_COLUMN, row, ids[row],
                                                         value, task.name, low, high))
            scores.append(score)
        return scores
    to_index = [task.labels.index(label) for label in hub.labels]
    indices = []
    for row, value in enumerate(series.tolist()):
        if not 0 <= value < len(to_index):
            hint = " (-1 marks an unlabelled test row)" if value == -1 else ""
            raise DataError("%s, column %r, row %d (idx %d): label %d is not a class of %s "
                            "config %s (%s)%s" % (path, HUB_LABEL_COLUMN, row, ids[row], value,
                                                  HUB_DATASET, hub.config,
                                                  hub.describe_labels(), hint))
        indices.append(to_index[value])
    return indices


def _format_lines(lines: Sequence[int]) -> str:
    shown = ", ".join(str(n) for n in lines[:_SHOWN_LINES])
    if len(lines) > _SHOWN_LINES:
        shown += ", ..."
    return shown


def _read_vocabulary(vocab_path: PathLike) -> Tuple[str, Dict[str, int]]:
    """Reads a vocabulary exactly as keras-bert's tokenizer does (the only reading).

    Returns:
      (absolute path, token -> id).

    Raises:
      DataError: naming the file: missing, a folder, unreadable, or not UTF-8.
    """
    path = os.path.abspath(os.fspath(vocab_path))
    if os.path.isdir(path):
        raise DataError("Vocabulary %s is a folder, not a vocab.txt file" % path)
    if not os.path.exists(path):
        raise DataError("Vocabulary file not found: %s" % path)
    import keras_bert  # imports TensorFlow; power_bert has set the Keras 2 switch

    try:
        token_dict = keras_bert.load_vocabulary(path)
    except UnicodeDecodeError:
        line_no, column = _locate_bad_utf8(path)
        raise DataError("%s, line %d: not valid UTF-8 (byte %d of the line)"
                        % (path, line_no, column)) from None
    except OSError as e:
        raise DataError("cannot read vocabulary %s: %s" % (path, e.strerror or e)) from None
    return path, token_dict


def _id_count(token_dict: Dict[str, int]) -> int:
    """Token ids the tokenizer can produce: the largest id + 1.

    keras-bert gives the token of line k the id ``len(token_dict)`` at that point, so
    this is the number of lines read (an empty line is the token "") when no token
    repeats; a repeated token moves to a later id, which still must have a row.
    """
    return max(token_dict.values()) + 1 if token_dict else 0


def count_vocab(vocab_path: PathLike) -> int:
    """Entries of a BERT vocab.txt as keras-bert's tokenizer reads them.

    This is the one count of the package: the word-piece embedding table needs at least
    this many rows, or token ids fall outside it.

    Args:
      vocab_path: a BERT ``vocab.txt`` (one word piece per line).

    Returns:
      The number of token ids the tokenizer can produce.

    Raises:
      DataError: the file is missing, a folder, unreadable, or not UTF-8.
    """
    return _id_count(_read_vocabulary(vocab_path)[1])


def check_vocab(vocab_path: PathLike, vocab_size: int, what: str) -> int:
    """Checks that a vocabulary fits a word-piece embedding table of ``vocab_size`` rows.

    The rule of the whole package (pipeline, benchmark, converter, checkpoint loading):
    more entries than rows is an error (token ids would fall outside the table); fewer is
    accepted (some rows are never used), and the caller may note it.

    Args:
      vocab_path: a BERT ``vocab.txt``.
      vocab_size: rows of the embedding table.
      what: what has that table, for the message ("the BERT config", "checkpoint X").

    Returns:
      The vocabulary's entries (``count_vocab``), at most ``vocab_size``.

    Raises:
      DataError: the file cannot be read, or has more entries than ``vocab_size``; the
        message names the file and both numbers.
    """
    entries = count_vocab(vocab_path)
    if entries > vocab_size:
        raise DataError("Vocabulary %s has %d entries but %s has only %d word embeddings "
                        "(vocab_size): token ids would fall outside the embedding table"
                        % (os.path.abspath(os.fspath(vocab_path)), entries, what, vocab_size))
    return entries


def load_vocab(vocab_path: PathLike) -> Dict[str, int]:
    """Load a BERT vocabulary with keras-bert and check the special tokens.

    Args:
      vocab_path: a BERT ``vocab.txt`` (one word piece per line).

    Returns:
      Token to id.

    Raises:
      DataError: the file is missing, a folder or not UTF-8, a token of
        ``REQUIRED_TOKENS`` is absent, or [PAD] is not id 0.
    """
    path, token_dict = _read_vocabulary(vocab_path)
    missing = [token for token in REQUIRED_TOKENS if token not in token_dict]
    if missing:
        raise DataError("Vocabulary %s lacks %s (it has %d tokens); is it a BERT vocab.txt?"
                        % (path, ", ".join(missing), len(token_dict)))
    if token_dict["[PAD]"] != 0:
        raise DataError("Vocabulary %s: [PAD] is id %d, expected 0 (inputs are padded with 0)"
                        % (path, token_dict["[PAD]"]))
    return token_dict


class DataParser:
    """Turns a task's GLUE files into BERT inputs.

    Tokenisation is Google BERT's (``power_bert.tokenization.Tokenizer``: keras-bert's
    Tokenizer with BERT's WordPiece): ``[CLS] a [SEP]`` or ``[CLS] a [SEP] b [SEP]``,
    truncated to ``max_seq_len`` word pieces (longer text of the pair first, as in BERT)
    and padded with id 0. The exported SavedModel tokenises in the graph with the same
    result.

    Attributes:
      task: the TaskSpec.
      data_dir: DATA_DIR.
      max_seq_len: sequence length of the arrays.
      cased: whether the tokenizer keeps case (must match the checkpoint).
      seed: seed of the training-set shuffle.
      token_dict: the vocabulary.
      stats: per split, the SplitStats of the latest read.
    """

    def __init__(self, vocab_path: PathLike, task: TaskLike, data_dir: Optional[PathLike],
                 max_seq_len: Optional[int] = None, cased: bool = False,
                 seed: int = DEFAULT_SEED):
        """Build the tokenizer.

        Args:
          vocab_path: BERT vocab.txt.
          task: task name or TaskSpec.
          data_dir: the task's DATA_DIR (None: only ``encode_examples`` is used).
          max_seq_len: sequence length; None uses the task's default.
          cased: keep case (cased checkpoints) instead of lower-casing.
          seed: seed of the numpy RandomState that shuffles the training set.

        Raises:
          DataError: bad vocabulary file.
          ValueError: unknown task, or max_seq_len below 3.
        """
        self.task = get_task(task)
        self.data_dir = None if data_dir is None else os.fspath(data_dir)
        self.max_seq_len = int(self.task.max_seq_len if max_seq_len is None else max_seq_len)
        if self.max_seq_len < 3:
            raise ValueError("max_seq_len (%d) must be at least 3 ([CLS] a [SEP] b [SEP])"
                             % self.max_seq_len)
        self.cased = bool(cased)
        self.seed = int(seed)
        self.token_dict = load_vocab(vocab_path)
        from power_bert.tokenization import Tokenizer

        self._tokenizer = Tokenizer(self.token_dict, cased=self.cased)
        self.stats: Dict[str, SplitStats] = {}

    @property
    def vocab_size(self) -> int:
        """Token ids the tokenizer can produce (``count_vocab`` of the vocabulary)."""
        return _id_count(self.token_dict)

    def encode_examples(self, examples: Sequence[Example]) -> EncodedExamples:
        """Tokenise, truncate and pad examples.

        Args:
          examples: examples from ``read_examples``.

        Returns:
          EncodedExamples with [N, max_seq_len] arrays.
        """
        n, width = len(examples), self.max_seq_len
        token_ids = np.zeros((n, width), dtype=np.int32)  # [N, L]
        segment_ids = np.zeros((n, width), dtype=np.int32)  # [N, L]
        lengths = np.zeros((n,), dtype=np.int64)
        for i, example in enumerate(examples):
            ids, segments = self._tokenizer.encode(example.text_a, example.text_b)
            lengths[i] = len(ids)
            if len(ids) > width:
                ids, segments = self._tokenizer.encode(example.text_a, example.text_b,
                                                       max_len=width)
            token_ids[i, :len(ids)] = ids
            segment_ids[i, :len(segments)] = segments
        return EncodedExamples(token_ids, segment_ids, lengths,
                               int(np.sum(lengths > width)))

    def get_train_data(self, max_examples: Optional[int] = None
                       ) -> Tuple[List[np.ndarray], np.ndarray]:
        """The training set, shuffled with ``seed``.

        The shuffle happens before the cap, so ``max_examples`` takes a random
        (but for a given seed always the same) subset.

        Args:
          max_examples: keep at most this many examples; None keeps all.

        Returns:
          ``([token_ids, segment_ids], y)``: int32 [N, max_seq_len] arrays and
          y int32 [N] class indices (float32 scores for regression).

        Raises:
          DataError: see ``read_examples``.
          ValueError: max_examples below 1.
        """
        data = read_split(self.task, self.data_dir, "train")
        order, _ = train_split(len(data.examples), self.seed, max_examples)
        return self._labelled(data, [data.examples[i] for i in order])

    def get_train_and_tune_data(self, tune_fraction: float, tune_seed: int,
                                max_examples: Optional[int] = None
                                ) -> Tuple[Tuple[List[np.ndarray], np.ndarray],
                                           Tuple[List[np.ndarray], np.ndarray], np.ndarray]:
        """The training set without a held-out tuning part, and that part
        (``train_split``): the tuning part depends only on ``tune_seed``, the fraction,
        the cap and the file, never on ``seed``.

        Returns:
          (training ``(x, y)`` shuffled with ``seed``, tuning ``(x, y)`` in file order,
          the tuning examples' row indices among the training file's examples).

        Raises:
          DataError: see ``read_examples``.
          ValueError: a fraction that leaves no tuning or no training example.
        """
        data = read_split(self.task, self.data_dir, "train")
        order, held = train_split(len(data.examples), self.seed, max_examples, tune_fraction,
                                  tune_seed)
        tune = self._labelled(data, [data.examples[i] for i in held])
        # (encoded last, so that ``stats["train"]`` describes what is trained on)
        train = self._labelled(data, [data.examples[i] for i in order])
        return train, tune, held

    def get_dev_data(self, max_examples: Optional[int] = None
                     ) -> Tuple[List[np.ndarray], np.ndarray]:
        """The dev set in file order (never shuffled).

        Args:
          max_examples: keep the first this many examples; None keeps all.

        Returns:
          ``([token_ids, segment_ids], y)`` as for ``get_train_data``.

        Raises:
          DataError: see ``read_examples``.
          ValueError: max_examples below 1.
        """
        data = read_split(self.task, self.data_dir, "dev")
        examples = data.examples
        if max_examples is not None:
            examples = examples[:_check_max_examples(max_examples)]
        return self._labelled(data, examples)

    def get_test_data(self) -> Tuple[List[np.ndarray], List[str]]:
        """The test set in file order (never shuffled), for predictions.

        Returns:
          ``([token_ids, segment_ids], guids)``: int32 [N, max_seq_len] arrays
          and the file's index column values, for the submission.

        Raises:
          DataError: see ``read_examples``.
        """
        data = read_split(self.task, self.data_dir, "test")
        encoded = self._encode(data, data.examples)
        return [encoded.token_ids, encoded.segment_ids], [e.guid for e in data.examples]

    def _labelled(self, data: SplitData, examples: List[Example]
                  ) -> Tuple[List[np.ndarray], np.ndarray]:
        encoded = self._encode(data, examples)
        dtype = np.float32 if self.task.is_regression else np.int32
        labels = np.asarray([e.label for e in examples], dtype=dtype)  # [N]
        return [encoded.token_ids, encoded.segment_ids], labels

    def _encode(self, data: SplitData, examples: List[Example]) -> EncodedExamples:
        encoded = self.encode_examples(examples)
        stats = SplitStats(path=data.path, num_rows=data.num_rows,
                           num_skipped=len(data.skipped_lines), num_examples=len(examples),
                           num_truncated=encoded.num_truncated,
                           max_length=int(encoded.lengths.max(initial=0)))
        self.stats[data.split] = stats
        logger.info("%s %s (%s, %s): %d examples, %d truncated to max_seq_len %d (longest %d)",
                    self.task.name, data.split, data.layout, data.path, stats.num_examples,
                    stats.num_truncated, self.max_seq_len, stats.max_length)
        return encoded


def train_split(num_examples: int, seed: int, max_examples: Optional[int] = None,
                tune_fraction: Optional[float] = None, tune_seed: int = 0
                ) -> Tuple[np.ndarray, np.ndarray]:
    """Which training-file examples are trained on, and which are held out for tuning.

    Without ``tune_fraction``: a permutation seeded with ``seed``, cut to ``max_examples``
    (nothing held out). With it, of the ``M = min(num_examples, max_examples)``
    examples used, ``round(tune_fraction * M)`` are held out first: the head of a
    permutation of the whole file seeded with ``tune_seed`` alone, so runs that differ
    in ``seed`` hold out the same examples. The other ``M - held out`` are drawn from the
    rest with ``seed``.

    Args:
      num_examples: examples in the training file.
      seed: seed of the training subset and order.
      max_examples: use at most this many examples (training + tuning); None: all.
      tune_fraction: the part held out, in (0, 1); None or 0: none.
      tune_seed: seed of the held-out part.

    Returns:
      (training indices in training order, held-out indices in file order), int64.

    Raises:
      ValueError: max_examples below 1, or a fraction that leaves no tuning or no
        training example (naming the counts).
    """
    used = num_examples if max_examples is None else min(num_examples,
                                                         _check_max_examples(max_examples))
    if not tune_fraction:
        order = np.random.RandomState(seed).permutation(num_examples)[:used]
        return order.astype(np.int64), np.zeros((0,), dtype=np.int64)
    held_count = int(round(tune_fraction * used))
    if held_count < 1 or held_count >= used:
        raise ValueError("holding out %g of %d training examples leaves %d to tune on and %d "
                         "to train on; both need at least one"
                         % (tune_fraction, used, held_count, used - held_count))
    held = np.sort(np.random.RandomState(tune_seed).permutation(num_examples)[:held_count])
    rest = np.setdiff1d(np.arange(num_examples), held)  # sorted, so the order below is
    order = rest[np.random.RandomState(seed).permutation(len(rest))][:used - held_count]
    return order.astype(np.int64), held.astype(np.int64)  # the same for any held-out set


def _check_max_examples(max_examples: int) -> int:
    if int(max_examples) != max_examples or max_examples < 1:
        raise ValueError("max_examples must be a positive integer or None, got %r"
                         % (max_examples,))
    return int(max_examples)


__all__ = ["DataError", "DataWarning", "Example", "SplitSource", "SplitData", "SplitStats",
           "EncodedExamples", "DataParser", "DEFAULT_SEED", "REQUIRED_TOKENS", "SPLITS", "TSV",
           "PARQUET", "LAYOUT_NAMES", "detect_layout", "locate_split", "find_split_file",
           "read_split", "read_examples", "load_vocab", "count_vocab", "train_split",
           "check_vocab"]
