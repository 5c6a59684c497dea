"""The two tokenisers (power_bert.tokenization): Google BERT's WordPiece in the training
path, and the graph tokeniser of the exported SavedModel giving the same ids.

The agreement on every dev and test sentence of the shared GLUE files uses the vocabulary
at $POWER_BERT_VOCAB (e.g. all-MiniLM-L6-v2's uncased vocab.txt) when it is set, else a
vocabulary built from the files' own words with pieces and deliberate gaps.
"""
import collections
import os
import re
from pathlib import Path

import numpy as np
import pytest

import power_bert  # noqa: F401  (the Keras 2 switch, before TensorFlow)
from power_bert.data import DataParser, Example, load_vocab, read_split
from power_bert.tokenization import (MAX_CHARS_PER_WORD, GraphTokenizer, Tokenizer,
                                     truncated_lengths, wordpiece_tokenize)

GLUE = Path(__file__).resolve().parents[1].parent / "shared" / "glue"
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
# Google BERT's docstring example ("unaffable") and pieces for the tricky strings below.
WORDS = ["un", "##aff", "##able", "the", "film", "was", "good", ",", ".", "!", "a", "b",
         "ss", "##s", "i", "strasse", "straße", "cafe", "café", "naive", "x", "##x", "中", "国",
         "ab", "##cd", "[", "]", "unk", "$"]


def write_vocab(folder: Path, tokens) -> str:
    path = folder / "vocab.txt"
    path.write_text("\n".join(tokens) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def vocab(tmp_path_factory):
    return load_vocab(write_vocab(tmp_path_factory.mktemp("vocab"), SPECIAL + WORDS))


def test_wordpiece_is_google_bert(vocab):
    assert wordpiece_tokenize("unaffable", vocab) == ["un", "##aff", "##able"]
    # Cannot be matched to the end: one [UNK] for the whole word, not pieces + [UNK]s.
    assert wordpiece_tokenize("unaffablez", vocab) == ["[UNK]"]
    assert wordpiece_tokenize("x" * MAX_CHARS_PER_WORD, vocab) == ["x"] + ["##x"] * 99
    assert wordpiece_tokenize("x" * (MAX_CHARS_PER_WORD + 1), vocab) == ["[UNK]"]
    ids, _ = Tokenizer(vocab).encode("Unaffablez good")
    assert ids == [vocab[t] for t in ("[CLS]", "[UNK]", "good", "[SEP]")]
    # Control: keras-bert's own Tokenizer does it differently (what this module fixes).
    from keras_bert import Tokenizer as KerasBertTokenizer
    stock, _ = KerasBertTokenizer(vocab).encode("Unaffablez good")
    assert stock != ids and stock.count(vocab["[UNK]"]) == 1 and len(stock) == 7


def test_truncation_closed_form_is_the_training_rule(vocab):
    """truncated_lengths (graph) against keras-bert's truncation (training path)."""
    tokenizer = Tokenizer(vocab)
    pairs = np.array([(a, b) for a in range(11) for b in range(11)], np.int64)  # [P, 2]
    for max_len in range(3, 12):
        expected = []
        for len_a, len_b in pairs:
            ids, _ = tokenizer.encode(" ".join(["a"] * len_a), " ".join(["b"] * len_b),
                                      max_len=max_len)
            expected.append((ids.count(vocab["a"]), ids.count(vocab["b"])))
        keep_a, keep_b = truncated_lengths(pairs[:, 0], pairs[:, 1], max_len)
        np.testing.assert_array_equal(np.stack([keep_a, keep_b], axis=1), expected,
                                      err_msg="max_len %d" % max_len)


TRICKY = [
    "The film was GOOD, unaffable!", "", "   ", "naïve CAFÉ Straße", "İ", "a\u200bb",
    "a\u00a0b", "a\u2028b a\u2029b", "a\x00b\ufffdc\x0bd\x0ce", "tab\tnew\nline\rcr",
    "中国a中国", "unaffablez good", "x" * MAX_CHARS_PER_WORD, "x" * (MAX_CHARS_PER_WORD + 1),
    "é" * 60, "[unk] $5", "ΣΑΣ ς", "a" * 3 + " b" * 40, "b " * 30,
]


class _StockWords:
    """keras-bert's own basic tokenisation (its ``_tokenize`` with every word kept whole):
    what ``Tokenizer.basic_tokenize`` must give."""

    def __init__(self, cased):
        from keras_bert import Tokenizer as KerasBertTokenizer

        class Words(KerasBertTokenizer):
            def _word_piece_tokenize(self, word):
                return [word]
        self.tokenizer = Words({}, cased=cased)

    def __call__(self, text):
        return self.tokenizer._tokenize(text)


def _mixed_texts(code_points, per_text=64):
    """Texts that put every code point between letters, accents and a space (so that
    NFD, marks, case and splitting all meet it)."""
    return ["".join("a" + chr(c) + "B\u00e9 " for c in code_points[i:i + per_text])
            for i in range(0, len(code_points), per_text)]


@pytest.mark.parametrize("cased", [False, True])
def test_basic_tokenization_is_keras_berts(vocab, cased):
    """The translate tables give keras-bert's words on tricky text and on a seeded sample
    of code points of every plane; the word cache starts again when full and the ids
    stay those of the uncached tokenizer."""
    stock, fast = _StockWords(cased), Tokenizer(vocab, cased=cased)
    rng = np.random.default_rng(0)
    sample = [int(c) for c in rng.integers(0, 0x110000, 20000) if not 0xD800 <= c < 0xE000]
    for text in TRICKY + _mixed_texts(sorted(sample) + list(range(0x300))):
        assert fast.basic_tokenize(text) == stock(text), repr(text)
    texts = TRICKY + ["Unaffable unaffablez UNAFFABLE good, café!"] * 3
    expected = [Tokenizer(vocab, cased=cased).encode(t, max_len=40) for t in texts]
    import power_bert.tokenization as tokenization
    small = Tokenizer(vocab, cased=cased)
    original = tokenization.WORD_CACHE
    try:
        tokenization.WORD_CACHE = 3
        assert [small.encode(t, max_len=40) for t in texts] == expected
        assert 0 < len(small._pieces) <= 3
    finally:
        tokenization.WORD_CACHE = original


@pytest.mark.slow
@pytest.mark.parametrize("cased", [False, True])
def test_basic_tokenization_is_keras_berts_on_every_code_point(cased):
    stock, fast = _StockWords(cased), Tokenizer({}, cased=cased)
    code_points = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for text in _mixed_texts(code_points):
        assert fast.basic_tokenize(text) == stock(text), repr(text)


@pytest.mark.parametrize("cased", [False, True])
def test_graph_tokenizer_gives_the_training_ids(vocab, cased):
    """Single texts and pairs of tricky strings, with truncation on both sides, one batch
    each (padded to its longest example only)."""
    import tensorflow as tf
    max_len = 12
    training = Tokenizer(vocab, cased=cased)
    graph = GraphTokenizer(vocab, cased, max_len)
    firsts = TRICKY + TRICKY[::-1]
    seconds = TRICKY[::-1] + TRICKY
    for pair in (False, True):
        ids, segments = graph(tf.constant(firsts), tf.constant(seconds) if pair else None)
        ids, segments = ids.numpy(), segments.numpy()
        expected = [training.encode(a, b if pair else None, max_len=max_len)
                    for a, b in zip(firsts, seconds)]
        width = max(int(np.count_nonzero(e[0])) for e in expected)
        assert ids.shape == segments.shape == (len(firsts), width)
        np.testing.assert_array_equal(ids, np.array([e[0][:width] for e in expected]))
        np.testing.assert_array_equal(segments, np.array([e[1][:width] for e in expected]))
    assert graph(tf.constant([], tf.string))[0].shape[0] == 0


# ----- every dev and test sentence of the shared GLUE files ----------------------------
AGREEMENT_TASKS = ("cola", "sst-2", "mrpc", "sts-b")
GLUE_FOLDERS = {"cola": "CoLA", "sst-2": "SST-2", "mrpc": "MRPC", "sts-b": "STS-B"}


def _glue_examples():
    return {(task, split): read_split(task, GLUE / GLUE_FOLDERS[task], split).examples
            for task in AGREEMENT_TASKS for split in ("dev", "test")}


def _vocab_from_words(folder: Path, examples) -> str:
    """An uncased vocabulary of the files' frequent words, their characters as first and
    continuation pieces, and some prefixes/suffixes; words with a "q" have no pieces (and
    no characters to fall back on), so they become [UNK]."""
    counts = collections.Counter()
    for rows in examples.values():
        for example in rows:
            for text in (example.text_a, example.text_b or ""):
                counts.update(re.findall(r"\w+", text.lower()))
    words = [w for w, n in counts.most_common() if n >= 3 and "q" not in w]
    chars = sorted({ch for w in counts for ch in w} - {"q"})
    pieces = sorted({w[:4] for w in words} | {"##" + w[-3:] for w in words if len(w) > 5})
    tokens = SPECIAL + words + chars + ["##" + ch for ch in chars] + pieces
    return write_vocab(folder, list(dict.fromkeys(tokens)))


@pytest.mark.slow
@pytest.mark.skipif(not GLUE.is_dir(), reason="shared GLUE files absent")
def test_graph_tokenizer_agrees_on_every_glue_dev_and_test_sentence(tmp_path):
    import tensorflow as tf
    examples = _glue_examples()
    given = os.environ.get("POWER_BERT_VOCAB")
    vocab_path = given or _vocab_from_words(tmp_path, examples)
    agreement, unknowns = {}, 0
    for (task, split), rows in examples.items():
        parser = DataParser(vocab_path, task, tmp_path)  # its encoder only: no file read
        expected = parser.encode_examples(rows)
        graph = GraphTokenizer(parser.token_dict, False, parser.seq_len)
        pair = rows[0].text_b is not None
        ids, segments = graph(tf.constant([e.text_a for e in rows]),
                              tf.constant([e.text_b for e in rows]) if pair else None)
        width = ids.shape[1]
        assert width == int(np.count_nonzero(expected.token_ids, axis=1).max())
        same = (np.all(expected.token_ids[:, :width] == ids.numpy(), axis=1)
                & np.all(expected.segment_ids[:, :width] == segments.numpy(), axis=1))
        agreement["%s %s" % (task, split)] = "%d/%d" % (same.sum(), len(rows))
        unknowns += int(np.sum(expected.token_ids == parser.token_dict["[UNK]"]))
    print("tokeniser agreement (%s): %s" % (vocab_path, agreement))
    if not given:
        assert unknowns > 0  # the [UNK] paths were exercised (a real vocabulary may have none)
    assert all(a.split("/")[0] == a.split("/")[1] for a in agreement.values()), agreement
