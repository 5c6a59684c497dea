"""GLUE data: one table-driven TSV reader and a BERT input encoder.

The reader knows nothing about individual tasks; the row layout of every file
comes from ``power_bert.tasks``. Files are read with the csv module
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
import warnings
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np

from power_bert.errors import DataError  # a data or vocabulary file that cannot be used
from power_bert.tasks import SPLITS, TaskSpec, get_task

logger = logging.getLogger(__name__)

DEFAULT_SEED = 42
# Tokens the vocabulary must have; [PAD] must also be id 0 (inputs are padded
# with 0 and the model masks id 0).
REQUIRED_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")
# How many bad line numbers a warning shows.
_SHOWN_LINES = 5

TaskLike = Union[str, TaskSpec]
PathLike = Union[str, "os.PathLike[str]"]


class DataWarning(UserWarning):
    """Rows were skipped while reading a data file."""


@dataclass(frozen=True)
class Example:
    """One row of a GLUE file.

    Attributes:
      guid: for the test split, the file's index column (the submission's
        ``index``); for train/dev, ``"<split>-<line number>"``.
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
class SplitData:
    """The result of reading one split's file.

    Attributes:
      task: the task read.
      split: "train", "dev" or "test".
      path: the file that was read.
      examples: the usable rows, in file order.
      num_rows: data rows in the file (header and empty lines not counted).
      skipped_lines: 1-based line numbers of rows skipped for a wrong column
        count.
    """

    task: TaskSpec
    split: str
    path: str
    examples: List[Example]
    num_rows: int
    skipped_lines: Tuple[int, ...]


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


def find_split_file(task: TaskLike, data_dir: PathLike, split: str) -> str:
    """Locate a split's file under DATA_DIR using the task's search folders.

    Args:
      task: task name or TaskSpec.
      data_dir: the DATA_DIR given by the user.
      split: "train", "dev" or "test".

    Returns:
      Path of the first candidate that exists.

    Raises:
      DataError: the task has no such split, or no candidate exists (the
        message lists every path tried).
      ValueError: unknown task or split name.
    """
    task = get_task(task)
    name = task.split_file(split)
    if name is None:
        hint = (" (it is predicted by the %s model)" % task.label_task
                if task.label_task else "")
        raise DataError("Task %s has no %s split; it has: %s%s"
                        % (task.name, split, ", ".join(task.splits), hint))
    tried = [os.path.abspath(os.path.join(os.fspath(data_dir), folder, name))
             for folder in task.search_dirs]
    for candidate in tried:
        if os.path.isfile(candidate):
            return candidate
    where = ("DATA_DIR %s does not exist; " % os.path.abspath(os.fspath(data_dir))
             if not os.path.isdir(data_dir) else "")
    raise DataError("Task %s, %s split: %sfile not found; tried %s"
                    % (task.name, split, where, ", ".join(tried)))


def read_split(task: TaskLike, data_dir: PathLike, split: str) -> SplitData:
    """Read one split of a task, with the bookkeeping of skipped rows.

    Args:
      task: task name or TaskSpec.
      data_dir: the task's DATA_DIR (see ``power_bert.tasks`` for ax).
      split: "train", "dev" or "test".

    Returns:
      A SplitData whose examples are in file order.

    Raises:
      DataError: missing file, non-UTF-8 line, unknown label, bad score, or
        no usable row.
      ValueError: unknown task or split name.

    Warns:
      DataWarning: once per file when rows with a wrong column count were
        skipped.
    """
    task = get_task(task)
    path = find_split_file(task, data_dir, split)
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
    return SplitData(task, split, path, examples, num_rows, tuple(skipped))


def read_examples(task: TaskLike, data_dir: PathLike, split: str) -> List[Example]:
    """Read one split of a task.

    Args:
      task: task name or TaskSpec.
      data_dir: the task's DATA_DIR (see ``power_bert.tasks`` for ax).
      split: "train", "dev" or "test".

    Returns:
      The examples in file order; labels are class indices (float scores for
      regression), None for test.

    Raises:
      DataError: missing file, non-UTF-8 line, unknown label, bad score, or
        no usable row.
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

    Tokenisation uses keras-bert's public Tokenizer: ``[CLS] a [SEP]`` or
    ``[CLS] a [SEP] b [SEP]``, truncated to ``max_seq_len`` word pieces
    (longer text of the pair first, as in BERT) and padded with id 0.

    Attributes:
      task: the TaskSpec.
      data_dir: DATA_DIR.
      max_seq_len: sequence length of the arrays.
      cased: whether the tokenizer keeps case (must match the checkpoint).
      seed: seed of the training-set shuffle.
      token_dict: the vocabulary.
      stats: per split, the SplitStats of the latest read.
    """

    def __init__(self, vocab_path: PathLike, task: TaskLike, data_dir: PathLike,
                 max_seq_len: Optional[int] = None, cased: bool = False,
                 seed: int = DEFAULT_SEED):
        """Build the tokenizer.

        Args:
          vocab_path: BERT vocab.txt.
          task: task name or TaskSpec.
          data_dir: the task's DATA_DIR.
          max_seq_len: sequence length; None uses the task's default.
          cased: keep case (cased checkpoints) instead of lower-casing.
          seed: seed of the numpy RandomState that shuffles the training set.

        Raises:
          DataError: bad vocabulary file.
          ValueError: unknown task, or max_seq_len below 3.
        """
        self.task = get_task(task)
        self.data_dir = os.fspath(data_dir)
        self.max_seq_len = int(self.task.max_seq_len if max_seq_len is None else max_seq_len)
        if self.max_seq_len < 3:
            raise ValueError("max_seq_len (%d) must be at least 3 ([CLS] a [SEP] b [SEP])"
                             % self.max_seq_len)
        self.cased = bool(cased)
        self.seed = int(seed)
        self.token_dict = load_vocab(vocab_path)
        from keras_bert import Tokenizer

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
        order = np.random.RandomState(self.seed).permutation(len(data.examples))
        if max_examples is not None:
            order = order[:_check_max_examples(max_examples)]
        return self._labelled(data, [data.examples[i] for i in order])

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
        logger.info("%s %s: %d examples, %d truncated to max_seq_len %d (longest %d)",
                    self.task.name, data.split, stats.num_examples, stats.num_truncated,
                    self.max_seq_len, stats.max_length)
        return encoded


def _check_max_examples(max_examples: int) -> int:
    if int(max_examples) != max_examples or max_examples < 1:
        raise ValueError("max_examples must be a positive integer or None, got %r"
                         % (max_examples,))
    return int(max_examples)


__all__ = ["DataError", "DataWarning", "Example", "SplitData", "SplitStats", "EncodedExamples",
           "DataParser", "DEFAULT_SEED", "REQUIRED_TOKENS", "SPLITS",
           "find_split_file", "read_split", "read_examples", "load_vocab", "count_vocab",
           "check_vocab"]
