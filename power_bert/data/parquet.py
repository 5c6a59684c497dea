"""The Hugging Face layout: ``nyu-mll/glue`` as parquet files.

``huggingface-cli download nyu-mll/glue --repo-type dataset`` (or the hub cache) lays the
dataset out as one folder per config holding ``<split>-00000-of-00001.parquet`` (read
with pandas and pyarrow), with integer labels in the dataset card's order and an ``idx``
column. Where a task's config is and which columns it has come from ``TaskSpec.hub``.

A parquet label is converted by its label string (``HubLayout.labels``), since the
card's order is not the project's (e.g. MNLI); a test example's guid is its ``idx``, and
rows are taken in ``idx`` order, the order of the GLUE files. A missing column, a label
that is not one of the card's classes (or a score outside the range), an empty (null)
cell, a repeated ``idx`` and a file pyarrow cannot read raise ``DataError`` naming the
file, the column and the 0-based row.
"""
import os
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

from power_bert.data.records import PARQUET, Example, PathLike, SplitData
from power_bert.errors import DataError
from power_bert.tasks import (HUB_CARD_URL, HUB_DATASET, HUB_INDEX_COLUMN, HUB_LABEL_COLUMN,
                              TaskSpec)

# A parquet split's files: <split>-<shard>-of-<shards>.parquet, shards numbered from 0.
_SHARD = re.compile(r"^(?P<split>.+)-(?P<shard>\d{5})-of-(?P<shards>\d{5})\.parquet$")


def parquet_folders(task: TaskSpec, data_dir: PathLike) -> List[str]:
    """Absolute folders where the task's parquet files may be (none: TSV only)."""
    if task.hub is None:
        return []
    return [os.path.abspath(os.path.join(os.fspath(data_dir), folder))
            for folder in task.hub.search_dirs]


def parquet_pattern(folder: str, hub_split: str) -> str:
    """The file pattern of a split's shards in ``folder``, for messages."""
    return os.path.join(folder, "%s-*-of-*.parquet" % hub_split)


def shard_names(folder: str, hub_split: str) -> List[str]:
    """File names of a split's parquet shards in ``folder`` (unsorted, unchecked)."""
    try:
        names = os.listdir(folder)
    except OSError:  # not a folder, or not readable: nothing there
        return []
    return [name for name in names
            if (match := _SHARD.match(name)) and match.group("split") == hub_split
            and os.path.isfile(os.path.join(folder, name))]


def complete_shards(folder: str, hub_split: str) -> Tuple[str, ...]:
    """The paths of a split's shards in ``folder`` in shard order; () when it has none.

    Raises:
      DataError: the shards found are not all of one set 0..N-1 (names the files).
    """
    names = sorted(shard_names(folder, hub_split))
    if not names:
        return ()
    numbers = [(int(m.group("shard")), int(m.group("shards")))
               for m in (_SHARD.match(name) for name in names)]
    totals = {total for _, total in numbers}
    if len(totals) != 1 or sorted(n for n, _ in numbers) != list(range(totals.pop())):
        raise DataError("%s: the parquet shards of split %s are incomplete or mixed: found %s"
                        % (folder, hub_split, ", ".join(names)))
    return tuple(os.path.join(folder, name) for name in names)


def read_parquet_split(task: TaskSpec, split: str, paths: Sequence[str]) -> SplitData:
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
        return _scores(task, series, path, ids)
    return _class_indices(task, series, path, ids)


def _scores(task: TaskSpec, series, path: str, ids: Sequence[int]) -> List[float]:
    """A regression task's label column as floats in the task's score range."""
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


def _class_indices(task: TaskSpec, series, path: str, ids: Sequence[int]) -> List[int]:
    """A classification task's label column (card integers) as this project's classes."""
    hub = task.hub
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
