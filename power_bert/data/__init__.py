"""GLUE data: one table-driven reader of three layouts and a BERT input encoder.

The layouts a DATA_DIR may hold, and which one it holds is detected from its content
(``detect_layout``, in ``layout``):

- ``tsv``: the GLUE download script's TSV files (``train.tsv``, ``dev.tsv``,
  ``test.tsv``, MNLI's ``dev_matched.tsv`` ..., ``diagnostic/diagnostic.tsv``), read
  by ``tsv``;
- ``parquet``: the Hugging Face dataset ``nyu-mll/glue`` as ``huggingface-cli
  download nyu-mll/glue --repo-type dataset`` (or the hub cache) lays it out, read by
  ``parquet``;
- ``folders``: a task with a ``FolderLayout`` (IMDB), one text file per example in a
  folder per class, read by ``folders``.

Every layout gives the same ``Example``s (``records``); ``reader.read_split`` reads a
split from whichever layout is there. The readers know nothing about individual tasks:
the row layout of every file comes from ``power_bert.tasks``. ``vocabulary`` reads and
checks BERT's ``vocab.txt``; ``encoder`` turns examples into BERT inputs
(``DataParser``). Problems in the files are never silent: a ``DataError`` names the
file (and the line or row), a ``DataWarning`` counts the rows skipped.

The public functions take a task name or a ``TaskSpec`` and resolve it once; inside the
package the resolved ``TaskSpec`` is passed down.

Example:
  parser = DataParser("uncased_L-12_H-768_A-12/vocab.txt", "cola", "glue_data/CoLA")
  (token_ids, segment_ids), y = parser.get_train_data()   # [N, 64] int32 each
"""
from power_bert.data.encoder import (DEFAULT_SEED, DataParser, EncodedExamples, SplitStats,
                                     train_split)
from power_bert.data.layout import detect_layout, find_split_file, locate_split
from power_bert.data.reader import read_examples, read_split
from power_bert.data.records import (FOLDERS, LAYOUT_NAMES, PARQUET, TSV, DataWarning,
                                     Example, SplitData, SplitSource)
from power_bert.data.vocabulary import REQUIRED_TOKENS, check_vocab, count_vocab, load_vocab
from power_bert.errors import DataError  # a data or vocabulary file that cannot be used
from power_bert.tasks import SPLITS

__all__ = ["DataError", "DataWarning", "Example", "SplitSource", "SplitData", "SplitStats",
           "EncodedExamples", "DataParser", "DEFAULT_SEED", "REQUIRED_TOKENS", "SPLITS", "TSV",
           "PARQUET", "FOLDERS", "LAYOUT_NAMES", "detect_layout", "locate_split",
           "find_split_file", "read_split", "read_examples", "load_vocab", "count_vocab",
           "train_split", "check_vocab"]
