"""End-to-end runs of the demo task on the tiny BERT (``helpers.tiny.make_bert``): the
command-line flags, the input folders, a one-epoch three-stage run, and an ``Options``
over placeholder files for the validation tests."""
from pathlib import Path
from typing import Dict, Tuple

from power_bert import synthetic
from power_bert.options import Options

from helpers.tiny import make_bert

ROOT = Path(__file__).resolve().parents[2]  # the repository


def flags(bert: Path, data: Path, out: Path, *extra):
    """``main.py`` flags of the demo task with the BERT folder ``bert`` (``make_bert``),
    then ``extra``."""
    return ["--TASK", "demo", "--BERT_CONFIG_PATH", str(bert / "bert_config.json"),
            "--CHECKPOINT_PATH", str(bert / "bert_model.ckpt"), "--VOCAB_PATH",
            str(bert / "vocab.txt"), "--DATA_DIR", str(data), "--OUTPUT_DIR", str(out),
            "--VERBOSE", "0", *extra]


def write_demo_inputs(folder: Path, seed: int = 1, train: int = 32, dev: int = 16,
                      test: int = 8) -> Tuple[Path, Path]:
    """A tiny BERT (``folder/bert``) and demo data of the given split sizes
    (``folder/data``); returns both."""
    bert = make_bert(folder / "bert")
    data = folder / "data"
    synthetic.write_data(str(data), seed=seed, sizes={"train": train, "dev": dev, "test": test})
    return bert, data


def tiny_run(folder: Path, *extra) -> Path:
    """A one-epoch three-stage run of a tiny BERT on 32 demo examples (``extra``: more
    flags); returns its OUTPUT_DIR."""
    import main as cli
    bert, data = write_demo_inputs(folder)
    out = folder / "out"
    assert cli.main(flags(bert, data, out, "--EPOCH", "1", "--BATCH_SIZE", "16", "--LR_BERT",
                          "1e-3", "--LR_SOFT_EXTRACT", "0.2", "--LAMBDA", "0.05", *extra)) == 0
    return out


def demo_files(root: Path) -> Dict[str, Path]:
    """The files of the command-line error tests: a tiny BERT, 8 training and 8 dev
    examples, and ``a_file`` (a file where a folder is expected)."""
    bert, data = write_demo_inputs(root, train=8, dev=8)
    (root / "a_file").write_text("not a folder\n")
    return {"root": root, "bert": bert, "data": data}


def demo_argv(files: Dict[str, Path], out: Path, command: str = "train"):
    """The flags of ``command`` on ``demo_files``: training ones start from the tiny BERT,
    the others name a checkpoint that does not exist."""
    bert, data = files["bert"], files["data"]
    argv = ["--TASK", "demo", "--VOCAB_PATH", str(bert / "vocab.txt"), "--DATA_DIR", str(data),
            "--OUTPUT_DIR", str(out), "--VERBOSE", "0"]
    if command in ("train", "main"):
        argv += ["--BERT_CONFIG_PATH", str(bert / "bert_config.json"),
                 "--CHECKPOINT_PATH", str(bert / "bert_model.ckpt")]
    else:
        argv += ["--CHECKPOINT_PATH", str(data / "no_model.hdf5")]
    return argv


def option_paths(folder: Path) -> Path:
    """Placeholder files where ``options`` points (validation only checks that they
    exist); returns ``folder``."""
    (folder / "vocab.txt").write_text("[PAD]\n")
    (folder / "bert_config.json").write_text("{}")
    (folder / "bert_model.ckpt.index").write_text("")
    return folder


def options(paths: Path, task: str, **given) -> Options:
    """``Options`` of ``task`` over ``option_paths(paths)``, with ``given``."""
    return Options(task=task, output_dir=str(paths / "out"), data_dir=str(paths),
                   vocab_path=str(paths / "vocab.txt"),
                   bert_config_path=str(paths / "bert_config.json"),
                   checkpoint_path=str(paths / "bert_model.ckpt"), **given)
