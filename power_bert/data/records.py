"""What the GLUE readers give: examples, where a split is, what was read, and the layouts.

Every reader of the package (``tsv``, ``parquet``, ``folders``) returns a ``SplitData``
of ``Example``s; ``layout.locate_split`` returns a ``SplitSource``. The layouts a
DATA_DIR may hold are named here once (``TSV``, ``PARQUET``, ``FOLDERS``) with the words
that show them to the user (``LAYOUT_NAMES``).
"""
import os
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple, Union

from power_bert.tasks import HUB_DATASET, TaskSpec

TaskLike = Union[str, TaskSpec]
PathLike = Union[str, "os.PathLike[str]"]

# The layouts of a DATA_DIR, and how they are named to the user.
TSV = "tsv"
PARQUET = "parquet"
FOLDERS = "folders"  # a text file per example in a folder per class (IMDB's aclImdb)
LAYOUT_NAMES = {TSV: "GLUE download script (TSV files)",
                PARQUET: "Hugging Face %s (parquet files)" % HUB_DATASET,
                FOLDERS: "one text file per example in a folder per class (aclImdb)"}
# How many bad line numbers a message shows.
_SHOWN_LINES = 5


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
      layout: ``TSV``, ``PARQUET`` or ``FOLDERS``.
      paths: the split's files in reading order: one TSV file, the parquet shards
        (``<split>-00000-of-00001.parquet`` on the hub: one), or one file per example.
    """

    layout: str
    paths: Tuple[str, ...]


@dataclass(frozen=True)
class SplitData:
    """The result of reading one split's file(s).

    Attributes:
      task: the task read.
      split: "train", "dev" or "test".
      path: the file that was read (the first shard of a parquet split, the split
        folder of a folder task).
      examples: the usable rows, in file order (parquet: in ``idx`` order).
      num_rows: data rows in the file (header and empty lines not counted).
      skipped_lines: 1-based line numbers of rows skipped for a wrong column
        count (always empty for parquet: its rows have no column count).
      layout: ``TSV``, ``PARQUET`` or ``FOLDERS``, the layout the split was read from.
      paths: every file read (one but for a parquet split in several shards and a
        folder task).
    """

    task: TaskSpec
    split: str
    path: str
    examples: List[Example]
    num_rows: int
    skipped_lines: Tuple[int, ...]
    layout: str = TSV
    paths: Tuple[str, ...] = ()


def format_lines(lines: Sequence[int]) -> str:
    """The first few line numbers of a list, for a message ("3, 7, 9, ...")."""
    shown = ", ".join(str(n) for n in lines[:_SHOWN_LINES])
    if len(lines) > _SHOWN_LINES:
        shown += ", ..."
    return shown


def locate_bad_utf8(path: str) -> Tuple[int, int]:
    """Return the 1-based line and byte column of the first non-UTF-8 byte of a file
    ((0, 0) when every line decodes)."""
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return line_no, exc.start + 1
    return 0, 0
