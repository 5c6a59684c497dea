"""The GLUE reader, the DataParser and the data_parser.py check command."""
import warnings
from pathlib import Path

import numpy as np
import pytest

import data_parser
from power_bert.data import (DataError, DataParser, DataWarning, Example, find_split_file,
                             check_vocab, count_vocab, load_vocab, read_examples, read_split)

from helpers.glue_fixtures import (GLUE_FOLDERS, write_ax, write_folder, write_glue_root,
                                   write_mnli, write_qnli, write_qqp, write_rte, write_tsv,
                                   write_wnli)
from helpers.tiny import write_vocab

SHARED_GLUE = Path(__file__).resolve().parents[1].parent / "shared" / "glue"


def _require_shared_glue():
    if not SHARED_GLUE.is_dir():
        pytest.skip("real GLUE files not found at %s" % SHARED_GLUE)


# ----- real GLUE files -------------------------------------------------------------------

REAL_COUNTS = {
    ("cola", "CoLA"): (8551, 1043, 1063),
    ("sst-2", "SST-2"): (67349, 872, 1821),
    ("mrpc", "MRPC"): (3668, 408, 1725),
    ("sts-b", "STS-B"): (5749, 1500, 1379),
}

REAL_FIRST_TEST = {
    "cola": ("0", "Bill whistled past the house.", None),
    "sst-2": ("0", "uneasy mishmash of styles and genres .", None),
    "mrpc": ("0", "PCCW 's chief operating officer , Mike Butcher , and Alex Arena , the chief "
                  "financial officer , will report directly to Mr So .",
             "Current Chief Operating Officer Mike Butcher and Group Chief Financial Officer "
             "Alex Arena will report to So ."),
    "sts-b": ("0", "A girl is styling her hair.", "A girl is brushing her hair."),
}


@pytest.mark.parametrize("task, folder", list(REAL_COUNTS))
def test_real_files_have_official_counts_and_labels(task, folder):
    _require_shared_glue()
    data_dir = SHARED_GLUE / folder
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)  # no row may be skipped
        splits = {s: read_split(task, data_dir, s) for s in ("train", "dev", "test")}
    assert tuple(len(splits[s].examples) for s in ("train", "dev", "test")) == \
        REAL_COUNTS[(task, folder)]
    for split in ("train", "dev"):
        labels = [e.label for e in splits[split].examples]
        if task == "sts-b":
            assert all(isinstance(v, float) for v in labels)
            assert 0.0 == min(labels) and max(labels) == 5.0
        else:
            assert set(labels) == {0, 1}
        assert splits[split].skipped_lines == ()
    guid, text_a, text_b = REAL_FIRST_TEST[task]
    first = splits["test"].examples[0]
    assert (first.guid, first.text_a, first.text_b, first.label) == (guid, text_a, text_b, None)
    assert splits["test"].examples[-1].guid == str(REAL_COUNTS[(task, folder)][2] - 1)


def test_real_mrpc_header_with_bom_is_skipped():
    _require_shared_glue()
    first = read_examples("mrpc", SHARED_GLUE / "MRPC", "train")[0]
    assert first.label == 1
    assert first.text_a.startswith('Amrozi accused his brother , whom he called " the witness "')
    assert first.text_b.startswith('Referring to him as only " the witness "')


def test_real_cola_dev_without_final_newline_keeps_last_row():
    _require_shared_glue()
    assert (SHARED_GLUE / "CoLA" / "dev.tsv").read_bytes()[-1:] != b"\n"
    last = read_examples("cola", SHARED_GLUE / "CoLA", "dev")[-1]
    assert last.text_a == "John talked to Bill about himself."
    assert last.label == 1
    assert last.guid == "dev-1043"


# ----- fixtures in the official layouts ---------------------------------------------------

def test_qqp_fixture(tmp_path):
    folder = write_qqp(tmp_path)
    train = read_examples("qqp", folder, "train")
    assert len(train) == 4
    assert train[0] == Example("train-2", "How do I cook rice in a pot?",
                               "What is the best way to cook rice without a cooker?", 1)
    assert [e.label for e in train] == [1, 0, 1, 0]
    assert train[2].text_a == 'What does "literally" mean now?'  # quotes kept
    assert [e.label for e in read_examples("qqp", folder, "dev")] == [1, 0]
    test = read_examples("qqp", folder, "test")
    assert [e.guid for e in test] == ["0", "1", "2"]
    assert test[1] == Example("1", "What is a good first programming language?",
                              "Should I learn Python first?", None)


def test_mnli_matched_and_mismatched_read_their_own_files(tmp_path):
    folder = write_mnli(tmp_path)
    contradiction, entailment, neutral = 0, 1, 2
    for task in ("mnli-m", "mnli-mm"):
        train = read_examples(task, folder, "train")
        assert [e.label for e in train] == [neutral, entailment, contradiction, entailment,
                                            contradiction]
        assert train[0].text_a == "The council met on Tuesday."
        assert train[0].text_b == "The council met twice that week."
        assert train[4].text_a == 'He said "no" to every offer.'

    dev_m = read_examples("mnli-m", folder, "dev")
    # the gold label (last column), not label1: row 0 has label2 = entailment
    assert [e.label for e in dev_m] == [neutral, contradiction, entailment]
    assert dev_m[0].text_a == "The new rules are simple enough."
    dev_mm = read_examples("mnli-mm", folder, "dev")
    assert [e.label for e in dev_mm] == [contradiction, entailment]
    assert dev_mm[1].text_b == "Some words mean new things today."

    test_m = read_examples("mnli-m", folder, "test")
    assert [(e.guid, e.text_a) for e in test_m] == [
        ("0", "The hotel is near the beach."), ("1", "The dog barked at night."),
        ("2", "Prices rose in May.")]
    test_mm = read_examples("mnli-mm", folder, "test")
    assert len(test_mm) == 4
    assert test_mm[3] == Example("3", "Thank you for your support.", "You supported us.", None)
    assert find_split_file("mnli-mm", folder, "test").endswith("test_mismatched.tsv")


def test_qnli_fixture(tmp_path):
    folder = write_qnli(tmp_path)
    train = read_examples("qnli", folder, "train")
    assert [e.label for e in train] == [0, 1, 0]  # entailment, not_entailment, entailment
    assert train[2].text_b == 'The river, called "Old Man", floods often.'
    assert len(read_examples("qnli", folder, "dev")) == 2
    test = read_examples("qnli", folder, "test")
    assert test[0] == Example("0", "What year did the war end?", "The war ended in 1815.", None)


def test_rte_fixture(tmp_path):
    folder = write_rte(tmp_path)
    assert [e.label for e in read_examples("rte", folder, "train")] == [1, 0]
    dev = read_examples("rte", folder, "dev")
    assert [e.label for e in dev] == [0, 1, 0]
    assert dev[0].text_a == "The singer, who was born in Ohio, moved to Texas."
    test = read_examples("rte", folder, "test")
    assert [e.guid for e in test] == ["0", "1", "2", "3"]
    assert test[3].text_b == "The bird is a penguin."


def test_wnli_fixture(tmp_path):
    folder = write_wnli(tmp_path)
    train = read_examples("wnli", folder, "train")
    assert [e.label for e in train] == [1, 0, 1]
    assert train[1].text_b == "The case was too big."
    assert [e.label for e in read_examples("wnli", folder, "dev")] == [0]
    assert len(read_examples("wnli", folder, "test")) == 2


@pytest.mark.parametrize("data_dir", ["diagnostic", ".", "MNLI"])
def test_ax_found_from_its_folder_the_glue_root_or_the_mnli_folder(tmp_path, data_dir):
    write_ax(tmp_path)
    write_mnli(tmp_path)
    test = read_examples("ax", tmp_path / data_dir, "test")
    assert [e.guid for e in test] == ["0", "1", "2"]
    assert test[2] == Example("2", 'Tom said "hi".', "Tom spoke.", None)


def test_ax_not_found_lists_every_path_tried(tmp_path):
    (tmp_path / "MNLI").mkdir()
    with pytest.raises(DataError) as info:
        read_examples("ax", tmp_path / "MNLI", "test")
    message = str(info.value)
    assert "ax" in message
    for tried in (tmp_path / "MNLI" / "diagnostic.tsv",
                  tmp_path / "MNLI" / "diagnostic" / "diagnostic.tsv",
                  tmp_path / "diagnostic" / "diagnostic.tsv"):
        assert str(tried) in message


def test_ax_has_no_train_split(tmp_path):
    write_ax(tmp_path)
    with pytest.raises(DataError, match="ax has no train split.*mnli-m"):
        read_examples("ax", tmp_path, "train")


def test_whole_fixture_root_reads(tmp_path):
    write_glue_root(tmp_path)
    folder_of = {"cola": "CoLA", "sst-2": "SST-2", "mrpc": "MRPC", "sts-b": "STS-B",
                 "qqp": "QQP", "mnli-m": "MNLI", "mnli-mm": "MNLI", "qnli": "QNLI",
                 "rte": "RTE", "wnli": "WNLI", "ax": "diagnostic"}
    for task, folder in folder_of.items():
        files = GLUE_FOLDERS[folder]
        for split in ("train", "dev", "test"):
            if task == "ax" and split != "test":
                continue
            data = read_split(task, tmp_path / folder, split)
            header, rows = files[Path(data.path).name]
            assert len(data.examples) == len(rows), (task, split)


def test_unknown_split_name(tmp_path):
    with pytest.raises(ValueError, match="validation"):
        read_examples("rte", write_rte(tmp_path), "validation")


def test_blank_lines_are_ignored(tmp_path):
    path = tmp_path / "SST" / "train.tsv"
    path.parent.mkdir()
    path.write_text("sentence\tlabel\ngood film\t1\n\nbad film\t0\n\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        data = read_split("sst-2", path.parent, "train")
    assert [e.text_a for e in data.examples] == ["good film", "bad film"]
    assert data.num_rows == 2


# ----- bad input -------------------------------------------------------------------------

def test_wrong_column_count_is_warned_counted_and_skipped(tmp_path):
    folder = tmp_path / "SST-2"
    write_tsv(folder / "train.tsv", [("good film", "1"), ("bad", "film", "0"), ("fine", "1"),
                                     ("no label",), ("dull", "0")], header=("sentence", "label"))
    with pytest.warns(DataWarning) as record:
        data = read_split("sst-2", folder, "train")
    assert len(record) == 1
    message = str(record[0].message)
    assert str(folder / "train.tsv") in message
    assert "skipped 2 of 5 rows" in message and "lines 3, 5" in message
    assert data.skipped_lines == (3, 5)
    assert data.num_rows == 5
    assert [e.text_a for e in data.examples] == ["good film", "fine", "dull"]
    assert [e.guid for e in data.examples] == ["train-2", "train-4", "train-6"]


def test_split_with_only_bad_rows_raises(tmp_path):
    folder = tmp_path / "RTE"
    write_tsv(folder / "dev.tsv", [("0", "only two"), ("1", "a", "b", "entailment", "extra")],
              header=("index", "sentence1", "sentence2", "label"))
    with pytest.warns(DataWarning):
        with pytest.raises(DataError) as info:
            read_examples("rte", folder, "dev")
    message = str(info.value)
    assert str(folder / "dev.tsv") in message
    assert "all 2 rows" in message and "lines 2, 3" in message


def test_header_only_file_raises(tmp_path):
    folder = tmp_path / "RTE"
    write_tsv(folder / "test.tsv", [], header=("index", "sentence1", "sentence2"))
    with pytest.raises(DataError, match="no data rows"):
        read_examples("rte", folder, "test")


def test_unknown_label_names_file_line_and_choices(tmp_path):
    folder = tmp_path / "RTE"
    write_tsv(folder / "train.tsv", [("0", "a", "b", "entailment"), ("1", "c", "d", "entails")],
              header=("index", "sentence1", "sentence2", "label"))
    with pytest.raises(DataError) as info:
        read_examples("rte", folder, "train")
    message = str(info.value)
    assert "%s, line 3" % (folder / "train.tsv") in message
    assert "'entails'" in message and "'entailment', 'not_entailment'" in message


def test_non_float_or_out_of_range_score_raises(tmp_path):
    folder = write_folder(tmp_path, "STS-B")
    lead = ("9", "main-news", "x", "2013", "0009", "none", "none", "a", "b")
    header = GLUE_FOLDERS["STS-B"]["train.tsv"][0]
    for bad in ("n/a", "5.5", "nan"):
        write_tsv(folder / "dev.tsv", [lead + ("1.0",), lead + (bad,)], header=header)
        with pytest.raises(DataError) as info:
            read_examples("sts-b", folder, "dev")
        assert "%s, line 3" % (folder / "dev.tsv") in str(info.value)
        assert repr(bad) in str(info.value) and "[0, 5]" in str(info.value)


def test_missing_split_file_names_path_and_task(tmp_path):
    folder = write_rte(tmp_path)
    (folder / "dev.tsv").unlink()
    with pytest.raises(DataError) as info:
        read_examples("rte", folder, "dev")
    assert str(folder / "dev.tsv") in str(info.value)
    assert "rte" in str(info.value)


def test_missing_data_dir_is_reported(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_examples("cola", tmp_path / "nowhere", "train")


def test_non_utf8_line_names_file_and_line(tmp_path):
    folder = tmp_path / "CoLA"
    folder.mkdir()
    lines = [b"gj04\t1\t\tGood one.", b"gj04\t0\t*\tBad one.", b"gj04\t1\t\tCaf\xe9 au lait.",
             b"gj04\t1\t\tLast one."]
    (folder / "train.tsv").write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(DataError) as info:
        read_examples("cola", folder, "train")
    message = str(info.value)
    assert "%s, line 3" % (folder / "train.tsv") in message
    assert "UTF-8" in message


def test_empty_test_index_raises(tmp_path):
    folder = tmp_path / "CoLA"
    write_tsv(folder / "test.tsv", [("0", "One."), (" ", "Two.")], header=("index", "sentence"))
    with pytest.raises(DataError, match="line 3: the index column"):
        read_examples("cola", folder, "test")


# ----- DataParser -------------------------------------------------------------------------

WORDS = ["the", "cat", "sat", ".", "a", "dog", "ran", "##s"]  # ids 5..12
CLS, SEP, UNK = 2, 3, 1


@pytest.fixture
def vocab(tmp_path):
    return write_vocab(tmp_path / "vocab.txt", WORDS)


def _rte_folder(tmp_path, train_rows, dev_rows=(), test_rows=()):
    folder = tmp_path / "RTE"
    header = ("index", "sentence1", "sentence2", "label")
    write_tsv(folder / "train.tsv", train_rows, header)
    write_tsv(folder / "dev.tsv", dev_rows or train_rows, header)
    write_tsv(folder / "test.tsv", test_rows or [r[:3] for r in train_rows], header[:3])
    return folder


def test_write_vocab_puts_special_tokens_first(vocab):
    assert vocab.read_text(encoding="utf-8").split("\n")[:7] == [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat"]
    assert load_vocab(vocab)["##s"] == 12


def test_sentence_pair_ids_segments_and_zero_padding(tmp_path, vocab):
    folder = _rte_folder(tmp_path, [("0", "The cats sat.", "A dog ran!", "entailment"),
                                    ("1", "The cat.", "Dog.", "not_entailment")])
    parser = DataParser(vocab, "rte", folder, seq_len=16)
    (token_ids, segment_ids), y = parser.get_dev_data()
    assert token_ids.shape == segment_ids.shape == (2, 16)
    assert token_ids.dtype == segment_ids.dtype == np.int32
    assert y.dtype == np.int32 and y.tolist() == [0, 1]
    # [CLS] the cat ##s sat . [SEP] a dog ran ! [SEP]; "!" is not in the vocab -> [UNK]
    assert token_ids[0].tolist() == [CLS, 5, 6, 12, 7, 8, SEP, 9, 10, 11, UNK, SEP] + [0] * 4
    assert segment_ids[0].tolist() == [0] * 7 + [1] * 5 + [0] * 4
    assert token_ids[1].tolist() == [CLS, 5, 6, 8, SEP, 10, 8, SEP] + [0] * 8
    assert segment_ids[1].tolist() == [0] * 5 + [1] * 3 + [0] * 8
    assert parser.stats["dev"].num_truncated == 0


def test_single_sentence_and_default_length(tmp_path, vocab):
    folder = write_folder(tmp_path, "CoLA")
    parser = DataParser(vocab, "cola", folder)
    (token_ids, segment_ids), y = parser.get_dev_data()
    assert parser.seq_len == 64 and token_ids.shape == (2, 64)
    assert not segment_ids.any()
    assert token_ids[0, 0] == CLS and token_ids[0, 1] == 5  # "the"
    assert y.tolist() == [1, 0]


def test_truncation_is_counted_and_keeps_final_sep(tmp_path, vocab):
    long_a = " ".join(["the cat sat ."] * 5)  # 20 word pieces
    folder = _rte_folder(tmp_path, [("0", long_a, "a dog ran .", "entailment"),
                                    ("1", "the cat", "a dog", "entailment")])
    parser = DataParser(vocab, "rte", folder, seq_len=16)
    (token_ids, segment_ids), _ = parser.get_dev_data()
    stats = parser.stats["dev"]
    assert (stats.num_truncated, stats.num_rows, stats.num_examples, stats.max_length) == \
        (1, 2, 2, 27)
    # the longer first text is cut until both fit: 9 + 4 word pieces + 3 special tokens
    assert token_ids[0].tolist() == [CLS] + [5, 6, 7, 8] * 2 + [5, SEP, 9, 10, 11, 8, SEP]
    assert segment_ids[0].tolist() == [0] * 11 + [1] * 5
    encoded = parser.encode_examples(read_examples("rte", folder, "dev"))
    assert encoded.lengths.tolist() == [27, 7]


def _numbered_sst(tmp_path, n):
    folder = tmp_path / "SST-2"
    rows = [("w%d" % i, str(i % 2)) for i in range(n)]
    write_tsv(folder / "train.tsv", rows, ("sentence", "label"))
    write_tsv(folder / "dev.tsv", rows, ("sentence", "label"))
    vocab = write_vocab(tmp_path / "numbers.txt", ["w%d" % i for i in range(n)])
    return folder, vocab


def _row_order(x):
    return (x[0][:, 1] - 5).tolist()  # the word after [CLS] is w<row>, id 5 + row


def test_train_shuffle_is_seeded(tmp_path):
    folder, vocab = _numbered_sst(tmp_path, 20)
    first = DataParser(vocab, "sst-2", folder, seed=7).get_train_data()
    again = DataParser(vocab, "sst-2", folder, seed=7).get_train_data()
    other = DataParser(vocab, "sst-2", folder, seed=8).get_train_data()
    order = _row_order(first[0])
    assert sorted(order) == list(range(20))
    assert order != list(range(20))
    assert order == _row_order(again[0])
    assert order != _row_order(other[0])
    assert first[1].tolist() == [i % 2 for i in order]  # labels travel with their rows


def test_max_examples_takes_a_seeded_random_subset(tmp_path):
    folder, vocab = _numbered_sst(tmp_path, 20)
    parser = DataParser(vocab, "sst-2", folder, seed=7)
    full = _row_order(parser.get_train_data()[0])
    x, y = parser.get_train_data(max_examples=5)
    assert x[0].shape == (5, 64) and y.shape == (5,)
    assert _row_order(x) == full[:5]
    assert _row_order(x) != list(range(5))
    assert len(parser.get_train_data(max_examples=100)[1]) == 20
    with pytest.raises(ValueError, match="max_examples"):
        parser.get_train_data(max_examples=0)


def test_dev_and_test_keep_file_order(tmp_path, vocab):
    train = [("0", "the cat", "a dog", "entailment")]
    test_rows = [("7", "the cat", "a dog"), ("3", "a dog", "the cat"), ("12", "cat", "dog")]
    folder = _rte_folder(tmp_path, train, dev_rows=train * 3, test_rows=test_rows)
    parser = DataParser(vocab, "rte", folder, seq_len=8)
    (token_ids, segment_ids), guids = parser.get_test_data()
    assert guids == ["7", "3", "12"]
    assert token_ids.shape == (3, 8)
    assert token_ids[1].tolist() == [CLS, 9, 10, SEP, 5, 6, SEP, 0]
    _, y = parser.get_dev_data(max_examples=2)
    assert len(y) == 2


def test_regression_targets_are_float32(tmp_path, vocab):
    folder = write_folder(tmp_path, "STS-B")
    x, y = DataParser(vocab, "sts-b", folder).get_train_data()
    assert y.dtype == np.float32
    assert sorted(y.tolist()) == pytest.approx([0.0, 3.8, 5.0])


def test_cased_tokenizer_keeps_case(tmp_path):
    vocab = write_vocab(tmp_path / "cased.txt", ["The", "the"])
    folder = tmp_path / "SST-2"
    write_tsv(folder / "dev.tsv", [("The the", "1")], ("sentence", "label"))
    lower = DataParser(vocab, "sst-2", folder).get_dev_data()[0][0]
    cased = DataParser(vocab, "sst-2", folder, cased=True).get_dev_data()[0][0]
    assert lower[0, :4].tolist() == [CLS, 6, 6, SEP]
    assert cased[0, :4].tolist() == [CLS, 5, 6, SEP]


def test_vocab_problems_name_the_file(tmp_path):
    folder = write_rte(tmp_path)
    with pytest.raises(DataError, match="Vocabulary file not found: .*missing.txt"):
        DataParser(tmp_path / "missing.txt", "rte", folder)
    no_cls = tmp_path / "no_cls.txt"
    no_cls.write_text("[PAD]\n[UNK]\n[SEP]\nthe\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        DataParser(no_cls, "rte", folder)
    assert str(no_cls) in str(info.value) and "[CLS]" in str(info.value)
    pad_late = tmp_path / "pad_late.txt"
    pad_late.write_text("[UNK]\n[PAD]\n[CLS]\n[SEP]\n", encoding="utf-8")
    with pytest.raises(DataError, match="\\[PAD\\] is id 1, expected 0"):
        DataParser(pad_late, "rte", folder)


def test_count_vocab_is_what_the_tokenizer_reads(tmp_path, vocab):
    import keras_bert

    parser = DataParser(vocab, "rte", write_rte(tmp_path))
    assert count_vocab(vocab) == parser.vocab_size == 5 + len(WORDS)
    blank = tmp_path / "blank.txt"  # an empty line is a token ("") for keras-bert
    blank.write_text("[PAD]\n\nthe\n\n", encoding="utf-8")
    assert count_vocab(blank) == 4  # ids 0..3: the second "" moves to id 3
    assert max(keras_bert.load_vocabulary(str(blank)).values()) == 3
    no_newline = tmp_path / "no_newline.txt"
    no_newline.write_text("[PAD]\nthe", encoding="utf-8")
    assert count_vocab(no_newline) == 2


def test_check_vocab_refuses_longer_and_accepts_shorter(tmp_path, vocab):
    entries = 5 + len(WORDS)
    assert check_vocab(vocab, entries, "the BERT config") == entries
    assert check_vocab(vocab, entries + 7, "the BERT config") == entries  # rows never used
    with pytest.raises(DataError) as info:
        check_vocab(vocab, entries - 1, "the BERT config")
    message = str(info.value)
    assert str(vocab) in message and "the BERT config" in message
    assert "%d entries" % entries in message and "only %d" % (entries - 1) in message


def test_unreadable_vocab_names_the_file(tmp_path):
    for read in (count_vocab, lambda path: check_vocab(path, 10, "x")):
        with pytest.raises(DataError, match="not found: .*missing.txt"):
            read(tmp_path / "missing.txt")
        with pytest.raises(DataError, match="folder") as info:
            read(tmp_path)
        assert str(tmp_path) in str(info.value)
        latin = tmp_path / "latin1.txt"
        latin.write_bytes("[PAD]\ncaf\u00e9\n".encode("latin-1"))
        with pytest.raises(DataError, match="line 2: not valid UTF-8") as info:
            read(latin)
        assert str(latin) in str(info.value)


def test_max_seq_len_below_three_is_rejected(tmp_path, vocab):
    with pytest.raises(ValueError, match="seq_len"):
        DataParser(vocab, "rte", write_rte(tmp_path), seq_len=2)


# ----- data_parser.py ---------------------------------------------------------------------

def test_data_parser_module_reexports_the_reader():
    assert data_parser.DataParser is DataParser
    assert data_parser.read_examples is read_examples
    assert data_parser.DataError is DataError


def test_check_command_prints_counts_labels_and_lengths(tmp_path, capsys):
    folder = write_rte(tmp_path)
    vocab = write_vocab(tmp_path / "vocab.txt", WORDS)
    assert data_parser.main(["--TASK", "rte", "--DATA_DIR", str(folder),
                             "--VOCAB_PATH", str(vocab), "--MAX_SEQ_LEN", "8"]) == 0
    out = capsys.readouterr().out
    assert "task rte (GLUE RTE)" in out
    assert "rows: 3, skipped: 0" in out  # dev
    assert "labels: entailment 2 (66.7%), not_entailment 1 (33.3%)" in out
    assert "truncated at 8:" in out


def test_check_command_reports_skipped_rows_and_score_range(tmp_path, capsys):
    folder = write_folder(tmp_path, "STS-B")
    with open(folder / "train.tsv", "a", encoding="utf-8") as handle:
        handle.write("too\tfew\tcolumns\n")
    assert data_parser.main(["--TASK", "sts-b", "--DATA_DIR", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "rows: 4, skipped: 1 (column count is not 10; lines 5)" in out
    assert "scores: min 0.000 / mean 2.933 / max 5.000" in out


@pytest.mark.parametrize("argv, status, text", [
    (["--TASK", "mnli", "--DATA_DIR", "."], 2, "valid tasks are"),
    (["--TASK", "rte", "--DATA_DIR", "/no/such/folder"], 2, "is not a folder"),
])
def test_check_command_bad_arguments(argv, status, text, capsys):
    assert data_parser.main(argv) == status
    err = capsys.readouterr().err
    assert text in err and len(err.strip().splitlines()) == 1


def test_check_command_missing_split_fails(tmp_path, capsys):
    folder = write_rte(tmp_path)
    (folder / "test.tsv").unlink()
    assert data_parser.main(["--TASK", "rte", "--DATA_DIR", str(folder)]) == 2
    err = capsys.readouterr().err
    assert str(folder / "test.tsv") in err
