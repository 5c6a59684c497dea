"""Every entry point rejects a bad number or path with one ``error:`` line that names the
flag, exit status 2, no traceback, and nothing written."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import data_parser
import main as main_py
from power_bert import cli

from helpers.runs import demo_argv, demo_files

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return demo_files(tmp_path_factory.mktemp("cli"))


def replace(argv, flag, value):
    argv = list(argv)
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    return argv


# (flag, bad value, text the error must contain)
BAD_NUMBERS = [
    ("--EPOCH", "0", "--EPOCH must be an integer >= 1, got 0"),
    ("--EPOCH", "two", "argument --EPOCH/--EPOCHS: invalid int value: 'two'"),
    ("--BATCH_SIZE", "-3", "--BATCH_SIZE must be an integer >= 1"),
    ("--EVAL_BATCH_SIZE", "0", "--EVAL_BATCH_SIZE must be an integer >= 1, got 0"),
    ("--EVAL_BATCH_SIZE", "-1", "--EVAL_BATCH_SIZE must be an integer >= 1, got -1"),
    ("--MAX_TRAIN_EXAMPLES", "0", "--MAX_TRAIN_EXAMPLES must be an integer >= 1"),
    ("--SEED", "-1", "--SEED must be an integer in [0, 2147483647]"),
    ("--VERBOSE", "7", "--VERBOSE must be an integer in [0, 2]"),
    ("--LR_BERT", "nan", "--LR_BERT must be a finite number > 0"),
    ("--LR_BERT", "-0.001", "--LR_BERT must be a finite number > 0"),
    ("--LR_BERT", "0", "--LR_BERT must be a finite number > 0"),
    ("--LR_SOFT_EXTRACT", "inf", "--LR_SOFT_EXTRACT must be a finite number > 0"),
    ("--LAMBDA", "-5", "--LAMBDA must be a finite number >= 0"),
    ("--TASK", "colaa", "--TASK: Unknown task 'colaa'"),
]


def check_error(status, capsys, text, out: Path):
    err = capsys.readouterr().err
    assert status == 2, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert text in lines[0], err
    assert "Traceback" not in err
    assert not out.exists()  # nothing written


@pytest.mark.parametrize("entry", ["main.py", "power-bert train"])
@pytest.mark.parametrize("flag, value, text", BAD_NUMBERS)
def test_training_rejects_bad_numbers(files, tmp_path, capsys, entry, flag, value, text):
    out = tmp_path / "out"
    argv = replace(demo_argv(files, out), flag, value)
    status = main_py.main(argv) if entry == "main.py" else cli.main(["train"] + argv)
    check_error(status, capsys, text, out)


@pytest.mark.parametrize("flag, value, text", [
    ("--VOCAB_PATH", "{data}", "--VOCAB_PATH: {data} is a folder, expected a file"),
    ("--VOCAB_PATH", "{root}/nope/vocab.txt", "--VOCAB_PATH: file not found"),
    ("--DATA_DIR", "{root}/no_data", "--DATA_DIR: folder not found: {root}/no_data"),
    ("--BERT_CONFIG_PATH", "{root}/none.json", "--BERT_CONFIG_PATH: file not found"),
    ("--CHECKPOINT_PATH", "{root}/none.ckpt", "--CHECKPOINT_PATH: no checkpoint at"),
    ("--OUTPUT_DIR", "{root}/a_file", "--OUTPUT_DIR: {root}/a_file exists and is not a folder"),
    ("--FINETUNED_CHECKPOINT", "{root}/none.hdf5", "--FINETUNED_CHECKPOINT: file not found"),
    ("--RETENTION_CONFIG", "64,32,8", "--RETENTION_CONFIG is used with --EVAL_ONLY"),
])
def test_training_rejects_bad_paths_and_combinations(files, tmp_path, capsys, flag, value,
                                                     text):
    names = {"root": files["root"], "data": files["data"]}
    out = tmp_path / "out"
    before = (files["root"] / "a_file").read_bytes()
    status = main_py.main(replace(demo_argv(files, out), flag, value.format(**names)))
    check_error(status, capsys, text.format(**names), out)
    assert (files["root"] / "a_file").read_bytes() == before


@pytest.mark.parametrize("command, extra, text", [
    ("eval", [], "model weights not found: {data}/no_model.hdf5"),
    ("eval", ["--EVAL_BATCH_SIZE", "0"], "--EVAL_BATCH_SIZE must be an integer >= 1"),
    ("eval", ["--RETENTION_CONFIG", "8,x,2"], "not a comma-separated list of integers"),
    ("eval", ["--MODEL_FORMAT", "ONNX"], "--MODEL_FORMAT: invalid choice"),
    ("predict", ["--PRED_GLUE"], "--PRED_GLUE: task demo has no GLUE submission file"),
    ("predict", ["--SEED", "-2"], "--SEED must be an integer in"),
])
def test_eval_and_predict_reject_bad_input(files, tmp_path, capsys, command, extra, text):
    out = tmp_path / "out"
    status = cli.main([command] + demo_argv(files, out, command) + extra)
    check_error(status, capsys, text.format(data=files["data"]), out)


@pytest.mark.parametrize("argv, text", [
    (["check-data", "--TASK", "demo", "--DATA_DIR", "{data}", "--MAX_SEQ_LEN", "2"],
     "--MAX_SEQ_LEN must be an integer >= 3"),
    (["check-data", "--TASK", "demo", "--DATA_DIR", "{root}/none"], "--DATA_DIR: "),
    (["submit", "--OUTPUT_DIR", "{root}/none", "--ZIP", "{out}/s.zip"], "is not a folder"),
    (["convert", "--HF_DIR", "{root}/none", "--OUTPUT_DIR", "{out}"], "{root}/none"),
    (["benchmark", "--BASELINE", "{root}/none.hdf5", "--POWER", "{root}/none.hdf5",
      "--DATA_DIR", "{data}", "--RUNS", "0", "--OUTPUT", "{out}/b.json"],
     "--RUNS must be at least 1"),
])
def test_other_subcommands_reject_bad_input(files, tmp_path, capsys, argv, text):
    out = tmp_path / "out"
    names = {"root": files["root"], "data": files["data"], "out": out}
    check_error(cli.main([a.format(**names) for a in argv]), capsys, text.format(**names), out)


def test_data_parser_shim_rejects_a_bad_number(files, capsys, tmp_path):
    status = data_parser.main(["--TASK", "demo", "--DATA_DIR", str(files["data"]),
                               "--MAX_SEQ_LEN", "-4"])
    check_error(status, capsys, "--MAX_SEQ_LEN must be an integer >= 3", tmp_path / "out")


def console_command():
    found = shutil.which("power-bert") or os.path.join(os.path.dirname(sys.executable),
                                                        "power-bert")
    if not os.path.exists(found):
        pytest.skip("the power-bert command is not installed (pip install -e .)")
    return [found]


@pytest.mark.slow
@pytest.mark.parametrize("entry", ["power-bert", "main.py", "data_parser.py",
                                   "power_bert.convert", "power_bert.benchmark",
                                   "power_bert.submission", "power_bert.export"])
def test_entry_points_in_a_real_process(files, tmp_path, entry):
    """Each entry point as a user starts it: exit status 2, one error line, no traceback."""
    out = tmp_path / "out"
    bad_folder = str(files["root"] / "none")
    argv = {
        "power-bert": console_command() + ["train"] + replace(demo_argv(files, out), "--EPOCH",
                                                              "0"),
        "main.py": [sys.executable, "main.py"] + replace(demo_argv(files, out), "--LAMBDA", "-1"),
        "data_parser.py": [sys.executable, "data_parser.py", "--TASK", "demo", "--DATA_DIR",
                           bad_folder],
        "power_bert.convert": [sys.executable, "-m", entry, "--HF_DIR", bad_folder,
                               "--OUTPUT_DIR", str(out)],
        "power_bert.benchmark": [sys.executable, "-m", entry, "--BASELINE", bad_folder,
                                 "--POWER", bad_folder, "--DATA_DIR", str(files["data"]),
                                 "--BATCH_SIZE", "0", "--OUTPUT", str(out / "b.json")],
        "power_bert.submission": [sys.executable, "-m", entry, "--OUTPUT_DIR", bad_folder,
                                  "--ZIP", str(out / "s.zip")],
        "power_bert.export": [sys.executable, "-m", entry, "--CHECKPOINT_PATH",
                              bad_folder + ".hdf5", "--OUTPUT_DIR", str(out)],
    }[entry]
    proc = subprocess.run(argv, cwd=str(ROOT), capture_output=True, text=True, timeout=300)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert not out.exists()
