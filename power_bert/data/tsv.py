"""The GLUE download script's layout: one tab-separated file per split.

The row layout of every file (column count, header line, which column holds which
sentence, the label or the test index) comes from the task's ``TaskSpec``. Files are read
with the csv module (tab-delimited, ``csv.QUOTE_NONE`` because sentences contain quote
characters) as UTF-8; a leading byte-order mark is dropped (MRPC's header has one) and a
missing final newline is fine (CoLA's dev.tsv has none).

Rows whose column count is not the task's count are skipped, counted, and reported by
one ``DataWarning`` per file naming the file and the first few line numbers; empty lines
are ignored. A split with no usable row, an unknown label, a score that is not a number
in the task's range and a line that is not UTF-8 raise ``DataError`` naming the file and
the 1-based line number.
"""
import csv
import math
import os
import warnings
from typing import Dict, Iterator, List, Optional, Tuple, Union

from power_bert.data.records import (TSV, DataWarning, Example, PathLike, SplitData,
                                     format_lines, locate_bad_utf8)
from power_bert.errors import DataError
from power_bert.tasks import TaskSpec

# The skipped-rows warning names the caller of ``read_split`` (or ``read_examples``; of a
# ``DataParser.get_*_data``): it is issued 4 frames below it (``_report_skipped``,
# ``read_tsv_split``, ``reader.read_task_split``, ``reader.read_split``).
_WARNING_STACKLEVEL = 5


def tsv_candidates(task: TaskSpec, data_dir: PathLike, split: str) -> List[str]:
    """Absolute paths where a split's TSV file may be, in search order."""
    name = task.split_file(split)
    return [os.path.abspath(os.path.join(os.fspath(data_dir), folder, name))
            for folder in task.search_dirs]


def read_tsv_split(task: TaskSpec, split: str, path: str) -> SplitData:
    """Read one split's TSV file.

    Args:
      task: the task, whose ``TaskSpec`` gives the row layout of the split.
      split: "train", "dev" or "test".
      path: the split's file.

    Returns:
      A SplitData whose examples are in file order.

    Raises:
      DataError: non-UTF-8 line, unknown label, bad score, empty test index, or no
        usable row.

    Warns:
      DataWarning: rows with a wrong column count were skipped.
    """
    num_columns = task.split_num_columns(split)
    make_example = _example_maker(task, split, path)
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
        examples.append(make_example(line_no, row))
    _report_skipped(task, split, path, num_rows, num_columns, skipped, bool(examples))
    return SplitData(task, split, path, examples, num_rows, tuple(skipped), TSV, (path,))


def _example_maker(task: TaskSpec, split: str, path: str):
    """A function (line number, row) -> Example for the rows of one split's file.

    A test row's guid is its index column (DataError when that is empty); a train or
    dev row's guid is ``"<split>-<line number>"`` and its label is parsed.
    """
    if split == "test":
        text_a, text_b, index = task.test_text_a, task.test_text_b, task.test_index

        def test_example(line_no: int, row: List[str]) -> Example:
            guid = row[index].strip()
            if not guid:
                raise DataError("%s, line %d: the index column (%d) is empty"
                                % (path, line_no, index))
            return Example(guid, row[text_a], _cell(row, text_b), None)

        return test_example
    text_a, text_b, target = task.text_a, task.text_b, task.label
    label_index = {label: i for i, label in enumerate(task.labels or ())}

    def labelled_example(line_no: int, row: List[str]) -> Example:
        label = _parse_label(task, label_index, row[target], path, line_no)
        return Example("%s-%d" % (split, line_no), row[text_a], _cell(row, text_b), label)

    return labelled_example


def _cell(row: List[str], column: Optional[int]) -> Optional[str]:
    return row[column] if column is not None else None


def _report_skipped(task: TaskSpec, split: str, path: str, num_rows: int,
                    num_columns: int, skipped: List[int], any_usable: bool) -> None:
    """Warns about the rows skipped for their column count; raises DataError when no
    row of the file was usable."""
    if skipped:
        warnings.warn("%s: skipped %d of %d rows whose column count is not %d (lines %s)"
                      % (path, len(skipped), num_rows, num_columns, format_lines(skipped)),
                      DataWarning, stacklevel=_WARNING_STACKLEVEL)
    if any_usable:
        return
    if skipped:
        reason = ("all %d rows have a column count other than %d (lines %s)"
                  % (num_rows, num_columns, format_lines(skipped)))
    else:
        reason = "it has no data rows"
    raise DataError("%s: no usable %s example for task %s: %s"
                    % (path, split, task.name, reason))


def _read_rows(path: str) -> Iterator[Tuple[int, List[str]]]:
    """Yield (1-based line number, columns) for each line of a TSV file."""
    reader = None
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            for row in reader:
                yield reader.line_num, row
    except UnicodeDecodeError as exc:
        line_no, column = locate_bad_utf8(path)
        raise DataError("%s, line %d: not valid UTF-8 (byte %d of the line: %s); "
                        "GLUE files are UTF-8 text" % (path, line_no, column, exc.reason)
                        ) from None
    except csv.Error as exc:
        line_no = reader.line_num if reader is not None else 0
        raise DataError("%s, line %d: %s" % (path, line_no, exc)) from None


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
