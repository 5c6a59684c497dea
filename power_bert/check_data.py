"""What ``power-bert check-data`` (``commands/check_data.py``, and ``data_parser.py``)
shows of a split of a GLUE folder, one line each: its labels (or scores), its word-piece
lengths and the rows skipped for a wrong column count.
"""
import collections

import numpy as np

from power_bert.data import DataParser, SplitData
from power_bert.tasks import TaskSpec


def describe_labels(task: TaskSpec, data: SplitData) -> str:
    """One line: the label distribution, or the score range for regression.

    Args:
      task: the task read.
      data: a train or dev split.

    Returns:
      e.g. "labels: 0 2528 (29.6%), 1 6023 (70.4%)".
    """
    labels = [e.label for e in data.examples]
    if task.is_regression:
        scores = np.asarray(labels, dtype=np.float64)
        return ("scores: min %.3f / mean %.3f / max %.3f (range allowed [%g, %g])"
                % (scores.min(), scores.mean(), scores.max(), *task.score_range))
    counts = collections.Counter(labels)
    parts = ["%s %d (%.1f%%)" % (name, counts[i], 100.0 * counts[i] / len(labels))
             for i, name in enumerate(task.labels)]
    return "labels: " + ", ".join(parts)


def describe_lengths(parser: DataParser, data: SplitData) -> str:
    """One line: word-piece length statistics and the truncation count.

    Args:
      parser: a DataParser (holds the tokenizer and seq_len).
      data: a split read with ``read_split``.

    Returns:
      e.g. "word pieces: min 3 / mean 11.2 / median 10 / p95 20 / max 47;
      truncated at 64: 0 (0.00%)".
    """
    encoded = parser.encode_examples(data.examples)
    lengths = encoded.lengths
    return ("word pieces: min %d / mean %.1f / median %d / p95 %d / max %d; "
            "truncated at %d: %d (%.2f%%)"
            % (lengths.min(), lengths.mean(), np.median(lengths),
               np.percentile(lengths, 95), lengths.max(), parser.seq_len,
               encoded.num_truncated, 100.0 * encoded.num_truncated / len(lengths)))


def describe_skipped(data: SplitData) -> str:
    """One line: the rows skipped for a wrong column count (with line numbers)."""
    if not data.skipped_lines:
        return "skipped: 0"
    shown = ", ".join(str(n) for n in data.skipped_lines[:10])
    more = ", ..." if len(data.skipped_lines) > 10 else ""
    return ("skipped: %d (column count is not %d; lines %s%s)"
            % (len(data.skipped_lines), data.task.split_num_columns(data.split), shown, more))
