"""The test harness itself: what the test modules share lives in tests/helpers (no test
module imports another), the slow marker is declared once, and the shared builders (the
tiny BERT family, its Google files, the input batches) give what their callers rely on."""
import ast
import json
import re
from pathlib import Path
from typing import List

import numpy as np
import pytest

from power_bert.config import BertConfig
from power_bert.google_ckpt import read_checkpoint

from helpers.inputs import make_inputs
from helpers.tiny import (CLS_ID, SEP_ID, TINY_CONFIG, TINY_VOCAB, make_bert, tiny_config,
                          write_tiny_bert)

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def imported_test_modules(source: str) -> List[str]:
    """The test modules (``test_*``, ``tests.test_*``) and conftests that ``source``
    imports, anywhere in it (functions included)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return [name for name in names
            if re.fullmatch(r"(tests\.)?(test_\w+|conftest)(\..*)?", name)]


def test_the_import_check_sees_every_form():
    source = ("import test_a\nfrom tests.test_b import x\nimport os, conftest\n"
              "def f():\n    from test_c import y\n"
              "from helpers.tiny import tiny_config\nimport testing\nfrom tests import helpers\n")
    assert imported_test_modules(source) == ["test_a", "tests.test_b", "conftest", "test_c"]


@pytest.mark.parametrize("path", sorted(TESTS.rglob("*.py")), ids=lambda p: p.name)
def test_no_module_of_tests_imports_a_test_module(path):
    """Shared helpers belong in tests/helpers, fixtures in tests/conftest.py."""
    assert imported_test_modules(path.read_text(encoding="utf-8")) == [], path


def test_slow_marker_is_declared_once_in_pyproject():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert len(re.findall(r'^\s*"slow: ', pyproject, re.M)) == 1
    for conftest in (ROOT / "conftest.py", TESTS / "conftest.py"):
        text = conftest.read_text(encoding="utf-8")
        assert "addinivalue_line" not in text and "pytest_configure" not in text, conftest


def test_tiny_config_takes_overrides_and_refuses_unknown_keys():
    assert tiny_config() == dict(TINY_CONFIG) and tiny_config() is not tiny_config()
    small = tiny_config(num_hidden_layers=2, initializer_range=0.5)
    assert (small["num_hidden_layers"], small["initializer_range"]) == (2, 0.5)
    assert {k: v for k, v in small.items() if k not in ("num_hidden_layers",
                                                         "initializer_range")} == {
        k: v for k, v in TINY_CONFIG.items() if k not in ("num_hidden_layers",
                                                          "initializer_range")}
    assert TINY_CONFIG["vocab_size"] == len(TINY_VOCAB) == 40
    BertConfig.from_dict(tiny_config())  # a valid configuration
    with pytest.raises(KeyError, match="not keys of TINY_CONFIG: num_layers"):
        tiny_config(num_layers=2)


def test_write_tiny_bert_writes_what_it_returns(tmp_path):
    config = tiny_config(num_hidden_layers=2)
    bert = write_tiny_bert(tmp_path / "bert", config, seed=3,
                           drop=("bert/pooler/dense/bias",))
    with open(bert.config_path, encoding="utf-8") as f:
        assert json.load(f) == config == bert.config
    assert Path(bert.vocab_path).read_text(encoding="utf-8").splitlines() == list(TINY_VOCAB)
    stored = read_checkpoint(bert.ckpt_prefix)
    assert sorted(stored) == sorted(bert.variables)
    assert "bert/pooler/dense/bias" not in stored and "bert/pooler/dense/kernel" in stored
    for name, value in stored.items():
        np.testing.assert_array_equal(value, bert.variables[name], err_msg=name)
    with pytest.raises(ValueError):
        bert.variables["bert/pooler/dense/kernel"][0, 0] = 1.0  # read-only
    other = read_checkpoint(write_tiny_bert(tmp_path / "other", config, seed=4).ckpt_prefix)
    assert not np.array_equal(other["bert/pooler/dense/kernel"],
                              stored["bert/pooler/dense/kernel"])  # the seed counts


def test_make_bert_writes_the_demo_vocabulary_beyond_the_embedding_table(tmp_path):
    from power_bert import synthetic
    folder = make_bert(tmp_path / "bert", vocab_extra=2, num_hidden_layers=1)
    config = BertConfig.from_json_file(str(folder / "bert_config.json"))
    words = (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
    assert words == synthetic.vocabulary() + ["extra0", "extra1"]
    assert config.vocab_size == len(synthetic.vocabulary()) and config.num_hidden_layers == 1
    assert config.initializer_range == 0.02


def test_make_inputs_lays_examples_out_as_bert_does():
    batch = make_inputs([7, 4, 2, 1], seq_len=9, seed=5)
    assert batch.token_ids.shape == batch.segment_ids.shape == batch.mask.shape == (4, 9)
    assert batch.lengths.tolist() == [7, 4, 2, 1]
    assert batch.mask.sum(axis=1).tolist() == [7, 4, 2, 1]
    assert (batch.token_ids[:, 0] == CLS_ID).all()
    pair, single = batch.token_ids[0], batch.token_ids[1]
    assert [i for i, t in enumerate(pair) if t == SEP_ID] == [3, 6]  # [CLS] a a [SEP] b b [SEP]
    assert batch.segment_ids[0].tolist() == [0, 0, 0, 0, 1, 1, 1, 0, 0]
    assert single[3] == SEP_ID and not batch.segment_ids[1].any()
    assert batch.token_ids[2, :2].tolist() == [CLS_ID, SEP_ID]
    assert not batch.token_ids[:, 7:].any()
    words = batch.token_ids[batch.mask.astype(bool) & ~np.isin(batch.token_ids, [CLS_ID, SEP_ID])]
    assert words.min() >= 5 and words.max() < len(TINY_VOCAB)
    assert batch.inputs[0] is batch.token_ids and batch.inputs[1] is batch.segment_ids
    assert make_inputs([7, 4, 2, 1], 9, seed=5).token_ids.tolist() == batch.token_ids.tolist()
    assert make_inputs([7, 4, 2, 1], 9, seed=6).token_ids.tolist() != batch.token_ids.tolist()
    with pytest.raises(ValueError, match="must be in"):
        make_inputs([10], seq_len=9)
