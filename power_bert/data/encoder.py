"""BERT inputs from GLUE examples: the ``DataParser`` and the training-set split.

Only ``DataParser`` needs keras-bert (and so TensorFlow); it is imported when a parser is
built, so reading files stays light.

Example:
  parser = DataParser("uncased_L-12_H-768_A-12/vocab.txt", "cola", "glue_data/CoLA")
  (token_ids, segment_ids), y = parser.get_train_data()   # [N, 64] int32 each
"""
import logging
import os
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from power_bert.data.reader import read_task_split
from power_bert.data.records import Example, PathLike, SplitData, TaskLike
from power_bert.data.vocabulary import id_count, load_vocab
from power_bert.errors import DataError
from power_bert.tasks import get_task

logger = logging.getLogger(__name__)

DEFAULT_SEED = 42


@dataclass(frozen=True)
class EncodedExamples:
    """BERT inputs for a list of examples.

    Attributes:
      token_ids: int32 [N, seq_len], padded with 0.
      segment_ids: int32 [N, seq_len], 0 for [CLS] text_a [SEP] and the
        padding, 1 for text_b [SEP].
      lengths: int64 [N], word pieces per example before truncation (with
        [CLS] and [SEP]s).
      num_truncated: how many examples were longer than seq_len.
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
      num_truncated: returned examples longer than seq_len.
      max_length: longest returned example in word pieces, before truncation.
    """

    path: str
    num_rows: int
    num_skipped: int
    num_examples: int
    num_truncated: int
    max_length: int


class DataParser:
    """Turns a task's GLUE files into BERT inputs.

    Tokenisation is Google BERT's (``power_bert.tokenization.Tokenizer``: keras-bert's
    Tokenizer with BERT's WordPiece): ``[CLS] a [SEP]`` or ``[CLS] a [SEP] b [SEP]``,
    truncated to ``seq_len`` word pieces (longer text of the pair first, as in BERT)
    and padded with id 0. The exported SavedModel tokenises in the graph with the same
    result.

    Attributes:
      task: the TaskSpec.
      data_dir: DATA_DIR.
      seq_len: sequence length of the arrays.
      cased: whether the tokenizer keeps case (must match the checkpoint).
      seed: seed of the training-set shuffle.
      token_dict: the vocabulary.
      stats: per split, the SplitStats of the latest read.
    """

    def __init__(self, vocab_path: PathLike, task: TaskLike, data_dir: Optional[PathLike],
                 seq_len: Optional[int] = None, cased: bool = False,
                 seed: int = DEFAULT_SEED):
        """Build the tokenizer.

        Args:
          vocab_path: BERT vocab.txt.
          task: task name or TaskSpec.
          data_dir: the task's DATA_DIR (None: only ``encode_examples`` is used).
          seq_len: sequence length; None uses the task's default.
          cased: keep case (cased checkpoints) instead of lower-casing.
          seed: seed of the numpy RandomState that shuffles the training set.

        Raises:
          DataError: bad vocabulary file.
          ValueError: unknown task, or seq_len below 3.
        """
        self.task = get_task(task)
        self.data_dir = None if data_dir is None else os.fspath(data_dir)
        self.seq_len = int(self.task.seq_len if seq_len is None else seq_len)
        if self.seq_len < 3:
            raise ValueError("seq_len (%d) must be at least 3 ([CLS] a [SEP] b [SEP])"
                             % self.seq_len)
        self.cased = bool(cased)
        self.seed = int(seed)
        self.token_dict = load_vocab(vocab_path)
        from power_bert.tokenization import Tokenizer

        self._tokenizer = Tokenizer(self.token_dict, cased=self.cased)
        self.stats: Dict[str, SplitStats] = {}

    @property
    def vocab_size(self) -> int:
        """Token ids the tokenizer can produce (``count_vocab`` of the vocabulary)."""
        return id_count(self.token_dict)

    def encode_examples(self, examples: Sequence[Example]) -> EncodedExamples:
        """Tokenise, truncate and pad examples.

        Args:
          examples: examples from ``read_examples``.

        Returns:
          EncodedExamples with [N, seq_len] arrays.
        """
        n, width = len(examples), self.seq_len
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
          ``([token_ids, segment_ids], y)``: int32 [N, seq_len] arrays and
          y int32 [N] class indices (float32 scores for regression).

        Raises:
          DataError: see ``read_examples``.
          ValueError: max_examples below 1.
        """
        data = read_task_split(self.task, self.data_dir, "train")
        order, _ = train_split(len(data.examples), self.seed, max_examples)
        return self._labelled(data, [data.examples[i] for i in order])

    def get_train_and_tune_data(self, tune_fraction: float, tune_seed: int,
                                max_examples: Optional[int] = None, unit: str = "rows"
                                ) -> Tuple[Tuple[List[np.ndarray], np.ndarray],
                                           Tuple[List[np.ndarray], np.ndarray], np.ndarray]:
        """The training set without a held-out tuning part, and that part
        (``train_split``): the tuning part depends only on ``tune_seed``, the fraction,
        the cap, ``unit`` and the file, never on ``seed``.

        Args:
          unit: what is held out (``TUNE_UNITS``): "rows", any rows; "sentences", whole
            sentences only, the rows no other row contains, and no row found only
            inside them is trained on (``sentence_rows``; SST-2, whose training file
            holds the phrases of its sentences as rows of their own).

        Returns:
          (training ``(x, y)`` shuffled with ``seed``, tuning ``(x, y)`` in file order,
          the tuning examples' row indices among the training file's examples).

        Raises:
          DataError: see ``read_examples``.
          ValueError: a fraction that leaves no tuning or no training example (or asks
            for more sentences than the file has); an unknown ``unit``, or "sentences"
            for a sentence-pair task.
        """
        data = read_task_split(self.task, self.data_dir, "train")
        containing = None
        if unit == "sentences":
            if self.task.text_b is not None:
                raise ValueError("whole sentences can be held out for single-sentence tasks "
                                 "only; %s has sentence pairs" % self.task.name)
            containing = sentence_rows([e.text_a for e in data.examples])
        elif unit != "rows":
            raise ValueError("unit must be one of %s, got %r" % (", ".join(TUNE_UNITS), unit))
        order, held = train_split(len(data.examples), self.seed, max_examples, tune_fraction,
                                  tune_seed, containing)
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
        return self.get_labelled_data("dev", max_examples)

    def get_labelled_data(self, split: str, max_examples: Optional[int] = None
                          ) -> Tuple[List[np.ndarray], np.ndarray]:
        """A labelled split in its reading order (never shuffled here): "dev", or "test"
        for a task whose test set is labelled (``TaskSpec.labelled_test``: IMDB).

        Args:
          split: "dev" or "test".
          max_examples: keep the first this many examples; None keeps all.

        Returns:
          ``([token_ids, segment_ids], y)`` as for ``get_train_data``.

        Raises:
          DataError: see ``read_examples``; or a test split without labels.
          ValueError: max_examples below 1.
        """
        if split == "test" and not self.task.labelled_test:
            raise DataError("Task %s has no labels on its test set; evaluate the dev set"
                            % self.task.name)
        data = read_task_split(self.task, self.data_dir, split)
        examples = data.examples
        if max_examples is not None:
            examples = examples[:_check_max_examples(max_examples)]
        return self._labelled(data, examples)

    def get_test_data(self) -> Tuple[List[np.ndarray], List[str]]:
        """The test set in file order (never shuffled), for predictions.

        Returns:
          ``([token_ids, segment_ids], guids)``: int32 [N, seq_len] arrays
          and the file's index column values, for the submission.

        Raises:
          DataError: see ``read_examples``.
        """
        data = read_task_split(self.task, self.data_dir, "test")
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
        logger.info("%s %s (%s, %s): %d examples, %d truncated to seq_len %d (longest %d)",
                    self.task.name, data.split, data.layout, data.path, stats.num_examples,
                    stats.num_truncated, self.seq_len, stats.max_length)
        return encoded


# What --TUNE_SPLIT holds out: any rows, or whole sentences (``sentence_rows``).
TUNE_UNITS = ("rows", "sentences")


def sentence_rows(texts: Sequence[str]) -> List[np.ndarray]:
    """For each text, the texts that are whole sentences and contain it word for word.

    A whole sentence is a text no other text contains as a run of whole words (compared
    case-folded, words split on white space); a later duplicate of a text is contained
    in its first occurrence. SST-2's training file holds every phrase of its sentences
    as a row of its own (most rows are phrases of a few words), so holding out rows at
    random leaves many held-out rows inside training rows; holding out sentences does not.

    Args:
      texts: the rows' texts.

    Returns:
      a list as long as ``texts``: sorted int64 indices of the sentences containing each
      text, ``[i]`` when text ``i`` is itself a sentence.
    """
    words = [tuple(t.casefold().split()) for t in texts]
    known = set(words)
    inside: Dict[Tuple[str, ...], List[int]] = {}  # a known text -> sentences holding it
    containing: List[Optional[np.ndarray]] = [None] * len(texts)
    # longest first: every sentence that can contain a text is indexed before it
    for i in sorted(range(len(texts)), key=lambda j: (-len(words[j]), j)):
        w = words[i]
        if w in inside:
            containing[i] = np.asarray(sorted(inside[w]), dtype=np.int64)
            continue
        containing[i] = np.asarray([i], dtype=np.int64)
        for start in range(len(w)):
            for end in range(start + 1, len(w) + 1):
                if w[start:end] in known:
                    inside.setdefault(w[start:end], []).append(i)
    return containing


def train_split(num_examples: int, seed: int, max_examples: Optional[int] = None,
                tune_fraction: Optional[float] = None, tune_seed: int = 0,
                containing: Optional[Sequence[np.ndarray]] = None
                ) -> Tuple[np.ndarray, np.ndarray]:
    """Which training-file examples are trained on, and which are held out for tuning.

    Without ``tune_fraction``: a permutation seeded with ``seed``, cut to ``max_examples``
    (nothing held out). With it, of the ``M = min(num_examples, max_examples)``
    examples used, ``round(tune_fraction * M)`` are held out first: the head of a
    permutation of the whole file seeded with ``tune_seed`` alone, so runs that differ
    in ``seed`` hold out the same examples. The other ``M - held out`` are drawn from the
    rest with ``seed``.

    With ``containing`` (``sentence_rows``), the held-out examples are whole sentences
    (the head of the ``tune_seed`` permutation of the sentences), and the rest leaves out
    every row whose sentences are all held out, so no held-out sentence and none of its
    own phrases is trained on (phrases also found in a trained sentence stay trainable);
    when the rest is smaller than ``M - held out`` (no cap), all of it is trained on.

    Args:
      num_examples: examples in the training file.
      seed: seed of the training subset and order.
      max_examples: use at most this many examples (training + tuning); None: all.
      tune_fraction: the part held out, in (0, 1); None or 0: none.
      tune_seed: seed of the held-out part.
      containing: for each example, the sentences containing it (hold out sentences).

    Returns:
      (training indices in training order, held-out indices in file order), int64.

    Raises:
      ValueError: max_examples below 1, or a fraction that leaves no tuning or no
        training example, or asks for more sentences than the file has (naming the
        counts).
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
    if containing is None:
        held = np.sort(np.random.RandomState(tune_seed).permutation(num_examples)[:held_count])
        rest = np.setdiff1d(np.arange(num_examples), held)
    else:
        if len(containing) != num_examples:
            raise ValueError("containing has %d entries for %d examples"
                             % (len(containing), num_examples))
        sentences = np.asarray([i for i, c in enumerate(containing)
                                if len(c) == 1 and c[0] == i], dtype=np.int64)
        if held_count > len(sentences):
            raise ValueError("holding out %g of %d training examples as whole sentences needs "
                             "%d sentences; the file has %d (lower the fraction or the "
                             "examples used)" % (tune_fraction, used, held_count,
                                                 len(sentences)))
        held = np.sort(sentences[np.random.RandomState(tune_seed).permutation(
            len(sentences))[:held_count]])
        held_set = set(held.tolist())
        rest = np.asarray([i for i, c in enumerate(containing)
                           if not held_set.issuperset(c.tolist())], dtype=np.int64)
        if not len(rest):
            raise ValueError("holding out %d sentences leaves no row outside them to train on "
                             "(lower the fraction)" % held_count)
    # (rest is sorted, so the order below is the same for any held-out set)
    order = rest[np.random.RandomState(seed).permutation(len(rest))][:used - held_count]
    return order.astype(np.int64), held.astype(np.int64)


def _check_max_examples(max_examples: int) -> int:
    if int(max_examples) != max_examples or max_examples < 1:
        raise ValueError("max_examples must be a positive integer or None, got %r"
                         % (max_examples,))
    return int(max_examples)
