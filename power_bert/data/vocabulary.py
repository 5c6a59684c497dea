"""A BERT vocabulary (``vocab.txt``): reading it, counting its ids, checking it.

The file is read exactly as keras-bert's tokenizer reads it (``_read_vocabulary``, the
only reading), so the count here is the count of ids the tokenizer can produce. A
missing, unreadable or non-UTF-8 file, a vocabulary without BERT's special tokens, and
one with more entries than an embedding table has rows raise ``DataError`` naming the
file.
"""
import os
from typing import Dict, Tuple

from power_bert.data.records import PathLike, locate_bad_utf8
from power_bert.errors import DataError

# Tokens the vocabulary must have; [PAD] must also be id 0 (inputs are padded
# with 0 and the model masks id 0).
REQUIRED_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]")


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
    import power_bert.backend  # noqa: F401  (TensorFlow first, its start-up lines held back)
    import keras_bert  # imports TensorFlow; power_bert has set the Keras 2 switch

    try:
        token_dict = keras_bert.load_vocabulary(path)
    except UnicodeDecodeError:
        line_no, column = locate_bad_utf8(path)
        raise DataError("%s, line %d: not valid UTF-8 (byte %d of the line)"
                        % (path, line_no, column)) from None
    except OSError as e:
        raise DataError("cannot read vocabulary %s: %s" % (path, e.strerror or e)) from None
    return path, token_dict


def id_count(token_dict: Dict[str, int]) -> int:
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
    return id_count(_read_vocabulary(vocab_path)[1])


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
