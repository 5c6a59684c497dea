"""The power_bert.data package: its public names, the task resolved once, the warning's
caller."""
import pytest

import data_parser
import power_bert.data
from power_bert.data import DataWarning, detect_layout, locate_split, read_examples, read_split
from power_bert.data import layout, reader
from power_bert.tasks import get_task

# Every name ``power_bert.data`` offered as one module, which callers still import from it.
FORMER_NAMES = ("DataError", "DataWarning", "Example", "SplitSource", "SplitData",
                "SplitStats", "EncodedExamples", "DataParser", "DEFAULT_SEED",
                "REQUIRED_TOKENS", "SPLITS", "TSV", "PARQUET", "FOLDERS", "LAYOUT_NAMES",
                "detect_layout", "locate_split", "find_split_file", "read_split",
                "read_examples", "load_vocab", "count_vocab", "train_split", "check_vocab")


def _sst2_train(folder, rows):
    folder.mkdir()
    lines = ["sentence\tlabel"] + ["\t".join(row) for row in rows]
    (folder / "train.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_the_package_exports_every_former_name():
    assert set(FORMER_NAMES) <= set(power_bert.data.__all__)
    assert [name for name in power_bert.data.__all__
            if not hasattr(power_bert.data, name)] == []
    assert data_parser.DataParser is power_bert.data.DataParser
    assert data_parser.read_examples is power_bert.data.read_examples


@pytest.mark.parametrize("call", [
    lambda folder: read_split("sst-2", folder, "train"),
    lambda folder: read_examples("SST-2", folder, "train"),
    lambda folder: detect_layout("sst-2", folder),
    lambda folder: locate_split("sst-2", folder, "train"),
])
def test_a_public_function_resolves_the_task_once(tmp_path, monkeypatch, call):
    folder = _sst2_train(tmp_path / "SST-2", [("good film", "1"), ("bad film", "0")])
    names = []

    def counting(task):
        names.append(task)
        return get_task(task)

    monkeypatch.setattr(layout, "get_task", counting)
    monkeypatch.setattr(reader, "get_task", counting)
    call(folder)
    assert len(names) == 1


def test_the_skipped_rows_warning_names_the_caller(tmp_path):
    folder = _sst2_train(tmp_path / "SST-2", [("good film", "1"), ("no label",)])
    for read in (read_split, read_examples):
        with pytest.warns(DataWarning) as record:
            read("sst-2", folder, "train")
        assert [w.filename for w in record] == [__file__]
