"""Check a GLUE folder and show what the pipeline will read from it: the same as
``power-bert check-data`` (see ``power_bert/check_data.py``).

    python data_parser.py --TASK cola --DATA_DIR ../shared/glue/CoLA \
        [--VOCAB_PATH uncased_L-12_H-768_A-12/vocab.txt] [--CASED] [--MAX_SEQ_LEN 64]

Scripts that ``import data_parser`` get the reader from ``power_bert.data``.
"""
import sys

from power_bert.cli import run_command
from power_bert.data import DataError, DataParser, read_examples

__all__ = ["DataParser", "DataError", "read_examples", "main"]


def main(argv=None) -> int:
    return run_command("check-data", argv, prog="data_parser.py")


if __name__ == "__main__":
    sys.exit(main())
