"""The two tokenisers of the project, which give the same ids: Google BERT's reference
tokenisation (google-research/bert ``tokenization.py``) in Python for the training data
path, and the same rules in TensorFlow ops (``tensorflow_text.BertTokenizer``) for the
exported SavedModel.

Google's rules, in order:

1. Clean: drop U+0000, U+FFFD and control characters (Unicode Cc/Cf except tab, newline
   and carriage return); every whitespace character (tab, newline, carriage return,
   Unicode Zs) becomes a space.
2. Put spaces around CJK ideographs, split on whitespace.
3. Uncased: lower-case (Python's ``str.lower``), decompose (NFD) and drop the
   non-spacing marks (Mn): the accents.
4. Split off every punctuation character (ASCII symbols and Unicode P*).
5. WordPiece: greedy longest match from the left, continuation pieces prefixed ``##``; a
   word that cannot be matched to the end is ONE ``[UNK]``, and so is a word of more than
   100 characters.

keras-bert's ``Tokenizer`` (which the training path used before) differs in two places,
both fixed here by ``Tokenizer``, its subclass: a word it cannot match to the end becomes
the pieces it did match plus one ``[UNK]`` per character it could not match, and it has
no limit on word length. Its cleaning, lower-casing, accent stripping and splitting give
Google's result (it lower-cases after stripping accents; the order changes nothing, as
a comparison over every code point showed when this module was written).

``tensorflow_text``'s BertTokenizer differs from Google in its basic tokenisation: it
replaces control characters by spaces (Google drops them: ``"a\\u200bb"`` is one word),
splits on ASCII whitespace only (Google also on Unicode Zs, such as U+00A0), case-folds
(``"ß"`` becomes ``"ss"``, Google keeps it) and limits words to 100 bytes (Google: 100
characters). ``GraphTokenizer`` gives it a basic tokenizer that follows Google's rules;
the two paths then differ only on the few code points that Python's Unicode tables (14.0
in Python 3.11) and TensorFlow's newer ones classify differently.

Truncation to the maximum sequence length (both paths): ``[CLS] a [SEP]`` keeps the first
``seq_len - 2`` word pieces of ``a``; a pair drops the last piece of the longer text
(of ``b`` when they are as long) until ``[CLS] a [SEP] b [SEP]`` fits.

Shapes: B = batch, T = the longest tokenised example of the batch (at most seq_len).
"""
import unicodedata
from typing import Dict, List, Tuple

from power_bert.backend import tf  # first: keras-bert imports TensorFlow

from keras_bert import Tokenizer as _KerasBertTokenizer

UNK = "[UNK]"
CLS = "[CLS]"
SEP = "[SEP]"
SUFFIX = "##"  # marks a word piece that continues a word
MAX_CHARS_PER_WORD = 100  # a longer word is one [UNK] (Google's max_input_chars_per_word)


def wordpiece_tokenize(word: str, vocab: Dict[str, int], unk: str = UNK) -> List[str]:
    """Google BERT's WordpieceTokenizer on one word: greedy longest match from the left.

    Args:
      word: one word of ``basic_tokenize``.
      vocab: word piece -> id.
      unk: what a word that cannot be matched (or is too long) becomes.

    Returns:
      The word pieces (continuations prefixed ``##``), or ``[unk]``.
    """
    if len(word) > MAX_CHARS_PER_WORD:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        stop = len(word)
        while stop > start:
            piece = word[start:stop] if start == 0 else SUFFIX + word[start:stop]
            if piece in vocab:
                break
            stop -= 1
        if stop == start:  # no piece of the vocabulary starts here
            return [unk]
        pieces.append(piece)
        start = stop
    return pieces


CODE_POINT_CACHE = 1 << 16  # code points a table remembers
WORD_CACHE = 1 << 16  # words a Tokenizer remembers the pieces of (then it starts again)


class _CodePointMap(dict):
    """``str.translate``'s table for one rule of keras-bert's basic tokenisation: code
    point -> what the rule makes of that character, computed by ``rule`` the first time
    the code point is met, then looked up."""

    def __init__(self, rule):
        super().__init__()
        self._rule = rule

    def __missing__(self, code: int) -> str:
        value = self._rule(chr(code))
        if len(self) >= CODE_POINT_CACHE:  # text of every script: start again
            self.clear()
        self[code] = value
        return value


def _spacing(ch: str) -> str:
    """keras-bert's splitting and cleaning of one character (``Tokenizer._tokenize``):
    spaces around punctuation and CJK ideographs, whitespace -> " ", U+0000, U+FFFD and
    control characters dropped."""
    if _KerasBertTokenizer._is_punctuation(ch) or _KerasBertTokenizer._is_cjk_character(ch):
        return " " + ch + " "
    if _KerasBertTokenizer._is_space(ch):
        return " "
    if ch in ("\x00", "\ufffd") or _KerasBertTokenizer._is_control(ch):
        return ""
    return ch


_SPACING = _CodePointMap(_spacing)
# uncased: the non-spacing marks (accents) dropped after NFD
_MARKS = _CodePointMap(lambda ch: "" if unicodedata.category(ch) == "Mn" else ch)


class Tokenizer(_KerasBertTokenizer):
    """keras-bert's Tokenizer (cleaning, splitting, packing, truncation, ids) with Google
    BERT's WordPiece: the one method keras-bert calls for a word's pieces is replaced by
    ``wordpiece_tokenize``.

    The basic tokenisation gives keras-bert's words, computed as two ``str.translate``
    passes over per-code-point tables instead of a Python loop over the characters, and
    the pieces of the last ``WORD_CACHE`` distinct words are remembered: the same ids,
    4-10x faster on GLUE's training files (benchmarks/README.md, "Tokenising faster")."""

    def __init__(self, *args, **kwargs):  # keras-bert's arguments
        super().__init__(*args, **kwargs)
        self._pieces: Dict[str, Tuple[str, ...]] = {}

    def basic_tokenize(self, text: str) -> List[str]:
        """The words of ``text`` as keras-bert's ``_tokenize`` splits them: uncased, NFD
        without non-spacing marks, then lower-cased; punctuation and CJK ideographs
        apart; control characters dropped; split on whitespace."""
        if not self._cased:
            if not text.isascii():  # NFD leaves ASCII alone and it has no marks
                text = unicodedata.normalize("NFD", text).translate(_MARKS)
            text = text.lower()
        return text.translate(_SPACING).split()

    def _tokenize(self, text: str) -> List[str]:
        tokens: List[str] = []
        for word in self.basic_tokenize(text):
            tokens.extend(self._word_piece_tokenize(word))
        return tokens

    def _word_piece_tokenize(self, word: str) -> Tuple[str, ...]:
        pieces = self._pieces.get(word)
        if pieces is None:
            pieces = tuple(wordpiece_tokenize(word, self._token_dict, self._token_unk))
            if len(self._pieces) >= WORD_CACHE:
                self._pieces.clear()
            self._pieces[word] = pieces
        return pieces


def truncated_lengths(len_a, len_b, seq_len: int):
    """Word pieces kept of each text of a pair so that ``[CLS] a [SEP] b [SEP]`` fits
    ``seq_len``: the closed form of the training path's rule, dropping the last piece of
    the longer text (of ``b`` when they are as long) until it fits.

    Args:
      len_a: int tensor ``[B]``, word pieces of the first texts.
      len_b: int tensor ``[B]`` of the same type, of the second texts.
      seq_len: the maximum sequence length (at least 3).

    Returns:
      (kept of a, kept of b), tensors like ``len_a``.
    """
    budget = seq_len - 3
    # when both are cut, a keeps the extra piece of an odd budget
    half_up = tf.cast(budget - budget // 2, len_a.dtype)
    keep_a = tf.minimum(len_a, tf.maximum(half_up, budget - len_b))
    return keep_a, tf.minimum(len_b, budget - keep_a)


# ----- in the graph (tensorflow_text) ---------------------------------------------------
# Google's cleaning as regular expressions (RE2): whitespace -> " ", then control
# characters, U+0000 and U+FFFD dropped. Python's str.split (Google's whitespace split) also
# splits on the line and paragraph separators (Zl, Zp), which RE2's \s does not know.
_WHITESPACE = r"[\t\n\r\p{Zs}\p{Zl}\p{Zp}]"
_DROPPED = r"[\x00\x{FFFD}\p{Cc}\p{Cf}]"


def _basic_tokenizer_class():
    """tensorflow_text's BasicTokenizer with Google BERT's cleaning, Python's lower-casing
    (``tf.strings.lower`` with ICU's full mapping, not case folding) and words of more than
    ``MAX_CHARS_PER_WORD`` characters replaced by ``[UNK]``."""
    import tensorflow_text as text
    # not exported at the top of tensorflow_text; BertTokenizer takes a subclass of it
    from tensorflow_text.python.ops.bert_tokenizer import BasicTokenizer

    class GoogleBasicTokenizer(BasicTokenizer):

        def lower_case(self, text_input):
            lowered = tf.strings.lower(text_input, encoding="utf-8")
            return tf.strings.regex_replace(text.normalize_utf8(lowered, "NFD"), r"\p{Mn}", "")

        def tokenize_with_offsets(self, text_input):
            cleaned = tf.strings.regex_replace(text_input, _WHITESPACE, " ")
            cleaned = tf.strings.regex_replace(cleaned, _DROPPED, "")
            words, begin, end = super().tokenize_with_offsets(cleaned)
            words = tf.ragged.map_flat_values(
                lambda w: tf.where(tf.strings.length(w, unit="UTF8_CHAR") > MAX_CHARS_PER_WORD,
                                   UNK, w), words)
            return words, begin, end

    return GoogleBasicTokenizer


class GraphTokenizer:
    """The training path's tokenisation as TensorFlow ops: strings in, padded ids out.

    Build it inside the ``tf.Module`` that is saved (its lookup table is then saved with
    it). Each batch is padded to its longest example only.

    Attributes:
      seq_len: the maximum sequence length (truncation as ``Tokenizer.encode``).
      cased: whether case and accents are kept.
      table: the vocabulary, word piece -> id (the ids of ``Tokenizer``).
    """

    def __init__(self, token_dict: Dict[str, int], cased: bool, seq_len: int):
        import tensorflow_text as text

        if seq_len < 3:
            raise ValueError("seq_len (%d) must be at least 3 ([CLS] a [SEP] b [SEP])"
                             % seq_len)
        self.seq_len = int(seq_len)
        self.cased = bool(cased)
        keys = list(token_dict)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(keys, tf.string),
                tf.constant([token_dict[k] for k in keys], tf.int64)), default_value=-1)
        self.cls_id = int(token_dict[CLS])
        self.sep_id = int(token_dict[SEP])
        # Words are limited in characters by the basic tokenizer; the byte limit (a
        # character has at most 4 bytes in UTF-8) must never be the one that applies.
        self._tokenizer = text.BertTokenizer(
            self.table, suffix_indicator=SUFFIX, max_bytes_per_word=4 * MAX_CHARS_PER_WORD,
            token_out_type=tf.int64, unknown_token=UNK, lower_case=not self.cased,
            basic_tokenizer_class=_basic_tokenizer_class())

    def pieces(self, sentences):
        """Word-piece ids of each string: int64 ragged ``[B, (P)]``."""
        return self._tokenizer.tokenize(sentences).merge_dims(-2, -1)

    def __call__(self, sentences, sentences2=None):
        """Token and segment ids of a batch, as ``Tokenizer.encode`` gives them.

        Args:
          sentences: string ``[B]``.
          sentences2: string ``[B]``, the second texts of a pair task (or None).

        Returns:
          (input_ids, segment_ids): int32 ``[B, T]``, ``[CLS] a [SEP] (b [SEP])`` then 0.
        """
        import tensorflow_text as text

        first = self.pieces(sentences)  # [B, (Pa)]
        if sentences2 is None:
            segments = [_keep_first(first, tf.minimum(first.row_lengths(), self.seq_len - 2))]
        else:
            second = self.pieces(sentences2)  # [B, (Pb)]
            keep_a, keep_b = truncated_lengths(first.row_lengths(), second.row_lengths(),
                                               self.seq_len)
            segments = [_keep_first(first, keep_a), _keep_first(second, keep_b)]
        ids, segment_ids = text.combine_segments(segments, start_of_sequence_id=self.cls_id,
                                                 end_of_segment_id=self.sep_id)
        return (tf.cast(ids.to_tensor(0), tf.int32),  # [B, T]
                tf.cast(segment_ids.to_tensor(0), tf.int32))  # [B, T]


def _keep_first(pieces, keep):
    """The first ``keep[b]`` pieces of each row of a ragged ``[B, (P)]``."""
    positions = tf.ragged.range(pieces.row_lengths())  # [B, (P)]
    return tf.ragged.boolean_mask(pieces, positions < tf.expand_dims(keep, 1))
