"""Fixtures over the shared harness in ``tests/helpers`` (the tiny BERT of
``helpers.tiny``, the inputs of ``helpers.inputs``), in the style of keras-hub's tiny
test configs.

Fixtures:
  tiny_config         dict of Google ``bert_config.json`` keys: ``helpers.tiny.tiny_config()``
                      (3 layers, 2 heads, hidden 16, intermediate 32, 64 positions, a
                      40-word vocab).
  bert_config         ``power_bert.config.BertConfig`` of ``tiny_config``.
  token_batch         ``TokenBatch``: 4 examples of 10 positions, real lengths 10, 7, 4
                      and 1 (``helpers.inputs.make_inputs(TOKEN_BATCH_LENGTHS)``).
  google_bert         (session) ``GoogleBert``: a folder with bert_config.json,
                      vocab.txt and bert_model.ckpt.* of random weights (seed 0) for
                      ``tiny_config()``.
"""
import json
from typing import Dict

import pytest

from power_bert.config import BertConfig

from helpers.inputs import TOKEN_BATCH_LENGTHS, TokenBatch, make_inputs
from helpers import tiny


@pytest.fixture
def tiny_config() -> Dict:
    """A fresh copy of ``TINY_CONFIG`` (tests may change it)."""
    return tiny.tiny_config()


@pytest.fixture
def bert_config(tiny_config) -> BertConfig:
    return BertConfig.from_dict(tiny_config)


@pytest.fixture
def token_batch() -> TokenBatch:
    """Real lengths ``TOKEN_BATCH_LENGTHS`` (10, 7, 4, 1) in T = 10 positions."""
    return make_inputs(TOKEN_BATCH_LENGTHS)


@pytest.fixture(scope="session")
def google_bert(tmp_path_factory) -> tiny.GoogleBert:
    """The tiny BERT written as Google's files (``write_tiny_bert``), read only."""
    bert = tiny.write_tiny_bert(tmp_path_factory.mktemp("google_bert"), tiny.tiny_config())
    with open(bert.config_path, encoding="utf-8") as f:
        assert json.load(f) == tiny.tiny_config()
    return bert


def pytest_collection_modifyitems(config, items):
    """Files that hold slow tests run first, in their usual order, the others after them.

    Under ``-n 2 --dist loadfile`` each file goes whole to one worker, in collection
    order: alphabetically, the long end-to-end files (test_resume, test_training,
    test_xla) came last, and one worker ran them alone while the other idled. Started
    first, they overlap, and the short files fill the gaps at the end.
    """
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: files stay whole
