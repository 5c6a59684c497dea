"""The fault catalogue: bad hyper-parameters, damaged or wrongly typed files, operating-system
faults and misuse. Each case asserts exit status 2, one ``error:`` line naming the culprit,
no traceback, and that the completed run already in OUTPUT_DIR is byte-identical after.
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from power_bert import cli

from helpers.runs import write_demo_inputs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A tiny BERT, demo data and an OUTPUT_DIR holding one completed training run."""
    root = tmp_path_factory.mktemp("faults")
    bert, data = write_demo_inputs(root, seed=2)
    out = root / "out"
    assert cli.main(["train"] + train_flags(bert, data, out)) == 0
    return {"root": root, "bert": bert, "data": data, "out": out}


def train_flags(bert, data, out, **replace):
    flags = {"--TASK": "demo", "--BERT_CONFIG_PATH": str(bert / "bert_config.json"),
             "--CHECKPOINT_PATH": str(bert / "bert_model.ckpt"),
             "--VOCAB_PATH": str(bert / "vocab.txt"), "--DATA_DIR": str(data),
             "--OUTPUT_DIR": str(out), "--EPOCH": "1", "--BATCH_SIZE": "16",
             "--LR_BERT": "1e-3", "--LR_SOFT_EXTRACT": "0.2", "--LAMBDA": "0.05",
             "--VERBOSE": "0"}
    flags.update(replace)
    argv = []
    for flag, value in flags.items():
        if value is None:
            continue
        argv += [flag] if value is True else [flag, value]
    return argv


def trained_flags(world, command, **replace):
    flags = {"--TASK": "demo", "--VOCAB_PATH": str(world["bert"] / "vocab.txt"),
             "--DATA_DIR": str(world["data"]), "--OUTPUT_DIR": str(world["out"]),
             "--CHECKPOINT_PATH": str(world["out"] / "retrain.hdf5"), "--VERBOSE": "0"}
    flags.update(replace)
    return [command] + [x for f, v in flags.items() if v is not None
                        for x in ([f] if v is True else [f, v])]


def snapshot(out: Path) -> dict:
    """Checksums of the completed run's files, the top-level results and the latest link."""
    state = {"latest": os.readlink(out / "latest"),
             "results": hashlib.sha256((out / "results.json").read_bytes()).hexdigest()}
    run = out / os.readlink(out / "latest")
    for path in sorted(run.rglob("*")):
        if path.is_file():
            state[str(path.relative_to(out))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def copy_bert(world, tmp_path) -> Path:
    return Path(shutil.copytree(world["bert"], tmp_path / "bert"))


def copy_data(world, tmp_path) -> Path:
    return Path(shutil.copytree(world["data"], tmp_path / "data"))


def copy_stage(world, tmp_path, stage) -> Path:
    """The completed run's stage checkpoint, copied (real files) to tmp_path/stage."""
    folder = tmp_path / "stage"
    folder.mkdir(exist_ok=True)
    for suffix in (".hdf5", ".json"):
        shutil.copyfile(world["out"] / (stage + suffix), folder / (stage + suffix))
    return folder / (stage + ".hdf5")


def edit_json(path: Path, **changes):
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


# ----- the catalogue: (name, builder(world, tmp_path) -> argv, text the error names) ------

def _train(**replace):
    return lambda w, t: ["train"] + train_flags(w["bert"], w["data"], w["out"], **replace)


def _vocab_not_utf8(w, t):
    bert = copy_bert(w, t)
    (bert / "vocab.txt").write_bytes((bert / "vocab.txt").read_bytes() + b"\xff\xfe\n")
    return ["train"] + train_flags(bert, w["data"], w["out"],
                                   **{"--VOCAB_PATH": str(bert / "vocab.txt")})


def _vocab_too_long(w, t):
    bert = copy_bert(w, t)
    with open(bert / "vocab.txt", "a", encoding="utf-8") as f:
        f.write("extra1\nextra2\n")
    return ["train"] + train_flags(bert, w["data"], w["out"],
                                   **{"--VOCAB_PATH": str(bert / "vocab.txt")})


def _bert_config(content: str):
    def build(w, t):
        bert = copy_bert(w, t)
        (bert / "bert_config.json").write_text(content)
        return ["train"] + train_flags(bert, w["data"], w["out"],
                                       **{"--BERT_CONFIG_PATH": str(bert / "bert_config.json")})
    return build


def _bert_config_value(key, value):
    def build(w, t):
        bert = copy_bert(w, t)
        edit_json(bert / "bert_config.json", **{key: value})
        return ["train"] + train_flags(bert, w["data"], w["out"],
                                       **{"--BERT_CONFIG_PATH": str(bert / "bert_config.json")})
    return build


def _checkpoint_data(action):
    def build(w, t):
        bert = copy_bert(w, t)
        data = bert / "bert_model.ckpt.data-00000-of-00001"
        if action == "truncate":
            data.write_bytes(data.read_bytes()[: data.stat().st_size // 2])
        elif action == "remove":
            data.unlink()
        elif action == "garble index":
            (bert / "bert_model.ckpt.index").write_bytes(b"\x00garbage" * 10)
        return ["train"] + train_flags(bert, w["data"], w["out"],
                                       **{"--CHECKPOINT_PATH": str(bert / "bert_model.ckpt")})
    return build


def _data_file(split, content: bytes):
    def build(w, t):
        data = copy_data(w, t)
        if content is None:
            (data / (split + ".tsv")).unlink()
        else:
            (data / (split + ".tsv")).write_bytes(content)
        return ["train"] + train_flags(w["bert"], data, w["out"], **{"--DATA_DIR": str(data)})
    return build


def _output_is_file(w, t):
    (t / "a_file").write_text("x")
    return ["train"] + train_flags(w["bert"], w["data"], t / "a_file")


def _finetuned(stage, damage=None, flag="--FINETUNED_CHECKPOINT"):
    def build(w, t):
        path = copy_stage(w, t, stage)
        if damage == "truncate":
            path.write_bytes(path.read_bytes()[:100])
        elif damage == "flip bytes":
            raw = bytearray(path.read_bytes())
            raw[len(raw) // 2:len(raw) // 2 + 8] = b"\x13" * 8
            path.write_bytes(bytes(raw))
        elif damage == "seq_len":
            edit_json(path.with_suffix(".json"), seq_len="sixty-four")
        elif damage == "task":
            edit_json(path.with_suffix(".json"), task="sst-2")
        elif damage == "no json":
            path.with_suffix(".json").unlink()
        return ["train"] + train_flags(w["bert"], w["data"], w["out"], **{flag: str(path)})
    return build


def _trained(command, stage="retrain", damage=None, **replace):
    def build(w, t):
        path = copy_stage(w, t, stage)
        if damage == "retention":
            edit_json(path.with_suffix(".json"), retention_configuration=[64, 65, 1])
        elif damage == "mode":
            edit_json(path.with_suffix(".json"), mode="distil")
        return trained_flags(w, command, **dict({"--CHECKPOINT_PATH": str(path)}, **replace))
    return build


def _predict_without_test(w, t):
    data = copy_data(w, t)
    (data / "test.tsv").unlink()
    return trained_flags(w, "predict", **{"--DATA_DIR": str(data)})


def _locked(w, t):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    w["sleeper"] = sleeper
    (w["out"] / ".lock").write_text(json.dumps({"pid": sleeper.pid, "started": "earlier",
                                                "host": os.uname().nodename}))
    return ["train"] + train_flags(w["bert"], w["data"], w["out"], **{"--SEED": "9"})


CATALOGUE = [
    ("LR_BERT negative", _train(**{"--LR_BERT": "-0.001"}), "--LR_BERT must be a finite number > 0"),
    ("LR_BERT zero", _train(**{"--LR_BERT": "0"}), "--LR_BERT must be a finite number > 0"),
    ("LR_BERT nan", _train(**{"--LR_BERT": "nan"}), "--LR_BERT must be a finite number > 0"),
    ("LR_BERT inf", _train(**{"--LR_BERT": "inf"}), "--LR_BERT must be a finite number > 0"),
    ("LR_SOFT_EXTRACT zero", _train(**{"--LR_SOFT_EXTRACT": "0"}), "--LR_SOFT_EXTRACT must be"),
    ("LR_SOFT_EXTRACT text", _train(**{"--LR_SOFT_EXTRACT": "fast"}),
     "--LR_SOFT_EXTRACT: invalid float value: 'fast'"),
    ("LAMBDA negative", _train(**{"--LAMBDA": "-5"}), "--LAMBDA must be a finite number >= 0"),
    ("LAMBDA nan", _train(**{"--LAMBDA": "nan"}), "--LAMBDA must be a finite number >= 0"),
    ("LAMBDA beyond float32", _train(**{"--LAMBDA": "1e300"}),
     "--LAMBDA must be at most 3.402823e+38 (the largest float32, the precision the model "
     "computes in), got 1e+300"),
    ("LR_BERT beyond float32", _train(**{"--LR_BERT": "3.5e38"}),
     "--LR_BERT must be at most 3.402823e+38"),
    ("LR_SOFT_EXTRACT beyond float32", _train(**{"--LR_SOFT_EXTRACT": "1e39"}),
     "--LR_SOFT_EXTRACT must be at most 3.402823e+38"),
    ("LR_BERT 0 in float32", _train(**{"--LR_BERT": "1e-46"}),
     "--LR_BERT must be at least 1.401298e-45"),
    ("EPOCH zero", _train(**{"--EPOCH": "0"}), "--EPOCH must be an integer >= 1"),
    ("BATCH_SIZE zero", _train(**{"--BATCH_SIZE": "0"}), "--BATCH_SIZE must be an integer >= 1"),
    ("EVAL_BATCH_SIZE -1", _train(**{"--EVAL_BATCH_SIZE": "-1"}), "--EVAL_BATCH_SIZE must be"),
    ("MAX_TRAIN_EXAMPLES 0", _train(**{"--MAX_TRAIN_EXAMPLES": "0"}),
     "--MAX_TRAIN_EXAMPLES must be an integer >= 1"),
    ("SEED -1", _train(**{"--SEED": "-1"}), "--SEED must be an integer in [0, 2147483647]"),
    ("SEED too large", _train(**{"--SEED": str(2 ** 40)}), "--SEED must be an integer in"),
    ("loss diverges", _train(**{"--LR_BERT": "1e30", "--SEED": "8"}),
     "the training loss of stage finetune became"),
    ("vocab is a folder", _train(**{"--VOCAB_PATH": "{root}"}), "is a folder, expected a file"),
    ("vocab missing", _train(**{"--VOCAB_PATH": "{root}/nope.txt"}), "{root}/nope.txt"),
    ("vocab not UTF-8", _vocab_not_utf8, "vocab.txt"),
    ("vocab longer than the model's", _vocab_too_long, "vocab.txt"),
    ("bert_config not JSON", _bert_config("{not json"), "bert_config.json"),
    ("bert_config not an object", _bert_config("[1, 2]"), "bert_config.json"),
    ("bert_config text size", _bert_config_value("hidden_size", "sixty-four"),
     "'hidden_size' must be a positive integer"),
    ("bert_config heads do not divide", _bert_config_value("num_attention_heads", 3),
     "is not a multiple of the number of attention heads"),
    ("bert_config is a folder", _train(**{"--BERT_CONFIG_PATH": "{root}"}),
     "--BERT_CONFIG_PATH: {root} is a folder"),
    ("checkpoint missing", _train(**{"--CHECKPOINT_PATH": "{root}/none.ckpt"}),
     "--CHECKPOINT_PATH: no checkpoint at"),
    ("checkpoint data truncated", _checkpoint_data("truncate"), "bert_model.ckpt"),
    ("checkpoint data missing", _checkpoint_data("remove"), "bert_model.ckpt"),
    ("checkpoint index garbled", _checkpoint_data("garble index"), "bert_model.ckpt"),
    ("DATA_DIR missing", _train(**{"--DATA_DIR": "{root}/nodata"}), "--DATA_DIR: folder not found"),
    ("train.tsv missing", _data_file("train", None), "train.tsv"),
    ("train.tsv bad label", _data_file("train", b"sentence\tlabel\ngood film\t7\n"), "train.tsv"),
    ("dev.tsv not UTF-8", _data_file("dev", b"sentence\tlabel\n\xff\xfe bad\t1\n"), "dev.tsv"),
    ("OUTPUT_DIR is a file", _output_is_file, "exists and is not a folder"),
    ("fine-tuned model missing", _train(**{"--FINETUNED_CHECKPOINT": "{root}/none.hdf5"}),
     "--FINETUNED_CHECKPOINT: file not found"),
    ("fine-tuned model truncated", _finetuned("finetune", "truncate"), "finetune.hdf5"),
    ("fine-tuned weights changed", _finetuned("finetune", "flip bytes"),
     "are damaged or were replaced"),
    ("fine-tuned metadata text seq_len", _finetuned("finetune", "seq_len"),
     "'seq_len' must be an integer, got 'sixty-four'"),
    ("fine-tuned model of another task", _finetuned("finetune", "task"),
     "was trained on task sst-2"),
    ("fine-tuned metadata missing", _finetuned("finetune", "no json"),
     "model metadata not found"),
    ("fine-tuned model is a retrain model", _finetuned("retrain"), "is a retrain-stage model"),
    ("search checkpoint is a finetune model",
     _finetuned("finetune", flag="--SEARCH_CHECKPOINT"), "is a finetune-stage model"),
    ("RETENTION_CONFIG with training", _train(**{"--RETENTION_CONFIG": "8,4,2"}),
     "unrecognized arguments: --RETENTION_CONFIG"),
    ("training the test-only task", _train(**{"--TASK": "ax"}), "--TASK ax has no training data"),
    ("bad retention inside retrain.json", _trained("eval", damage="retention"),
     "retrain.json: retention configuration [64, 65, 1]"),
    ("unknown mode inside retrain.json", _trained("eval", damage="mode"),
     "retrain.json: mode must be one of"),
    ("evaluating the search model", _trained("eval", stage="search"),
     "is a configuration-search model"),
    ("evaluating with --CASED", _trained("eval", **{"--CASED": True}),
     "was trained uncased; drop --CASED"),
    ("RETENTION_CONFIG not integers", _trained("eval", **{"--RETENTION_CONFIG": "8,x"}),
     "not a comma-separated list of integers"),
    ("predict without a test file", _predict_without_test, "test.tsv"),
    ("PRED_GLUE for a task without a GLUE file", _trained("predict", **{"--PRED_GLUE": True}),
     "--PRED_GLUE: task demo has no GLUE submission file"),
    ("OUTPUT_DIR locked by a running process", _locked, "is in use: process"),
]


@pytest.mark.parametrize("name, build, text", CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_fault(world, tmp_path, capsys, name, build, text):
    before = snapshot(world["out"])
    log_before = (world["out"] / "log.txt").read_bytes()
    names = {"root": str(world["root"])}
    argv = [a.format(**names) for a in build(world, tmp_path)]
    try:
        status = cli.main(argv)
    finally:
        if "sleeper" in world:
            world.pop("sleeper").kill()
            (world["out"] / ".lock").unlink()
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert text.format(**names) in lines[0], err
    assert "Traceback" not in err
    assert snapshot(world["out"]) == before
    log = (world["out"] / "log.txt").read_bytes()
    if name != "loss diverges":  # refused before anything is written
        assert log == log_before
        assert not list(world["out"].rglob("*.tmp*"))
    else:  # the run started: its error is in the log, and no checkpoint of it was saved
        new_runs = [p for p in (world["out"] / "runs").iterdir()
                    if p.name != before["latest"].split("/")[-1]]
        assert new_runs and not any((p / "finetune.hdf5").exists() for p in new_runs)
        assert not (world["out"] / ".lock").exists()


def test_catalogue_size():
    assert len(CATALOGUE) >= 40


@pytest.mark.slow
def test_a_stale_lock_is_taken_over(world, tmp_path):
    out = Path(shutil.copytree(world["out"], tmp_path / "out", symlinks=True))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / ".lock").write_text(json.dumps({"pid": dead.pid, "started": "yesterday",
                                           "host": os.uname().nodename}))
    data = copy_data(world, tmp_path)  # with a malformed row: its warning reaches the log
    with open(data / "train.tsv", "a", encoding="utf-8") as f:
        f.write("three\tcolumns\there\n")
    assert cli.main(["train"] + train_flags(world["bert"], data, out, **{"--SEED": "4"})) == 0
    log = (out / "log.txt").read_text()
    assert "took over the lock of process %d" % dead.pid in log
    assert "train.tsv: skipped 1 of 33 rows whose column count is not 2 (lines 34)" in log
    assert not (out / ".lock").exists()


# ----- operating-system faults (need a mount: root, as on the project's machines) --------

@pytest.fixture
def tmpfs(tmp_path):
    """Mounts small tmpfs folders; skips the test where mounting is not allowed."""
    mounted = []

    def mount(name: str, size: str, read_only: bool = False) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        options = "size=%s%s" % (size, ",ro" if read_only else "")
        if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True).returncode != 0:
            pytest.skip("cannot mount a tmpfs here (needs root)")
        mounted.append(folder)
        return folder
    yield mount
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def test_read_only_output_dir(world, tmpfs, capsys):
    folder = tmpfs("ro", "1m", read_only=True)
    status = cli.main(["train"] + train_flags(world["bert"], world["data"], folder / "out"))
    err = capsys.readouterr().err
    assert status == 2 and err.count("error:") == 1 and "Traceback" not in err
    assert "--OUTPUT_DIR" in err and "cannot be written" in err


@pytest.mark.slow
def test_full_disk_during_training(world, tmpfs, capsys):
    """OUTPUT_DIR fills up when the first checkpoint is written: one clear error, nothing
    partial left (no temporary files, no half-written checkpoint)."""
    folder = tmpfs("full", "48k")
    out = folder / "out"
    status = cli.main(["train"] + train_flags(world["bert"], world["data"], out))
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert status == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: cannot write"), err
    assert "No space left on device" in lines[0] and "Traceback" not in err
    left = [p.name for p in out.rglob("*")]
    assert not [n for n in left if ".tmp" in n], left
    assert not [n for n in left if n.endswith(".hdf5")], left
    assert not (out / ".lock").exists()


@pytest.mark.slow
def test_ctrl_c_says_what_was_saved_and_the_rerun_resumes(world, tmp_path):
    out = tmp_path / "out"
    argv = [sys.executable, "main.py"] + train_flags(world["bert"], world["data"], out,
                                                     **{"--EPOCH": "3"})
    # Ctrl-C as in a terminal: a parent that ignores SIGINT (pytest-xdist's workers do)
    # would pass the ignoring on, and Python then installs no KeyboardInterrupt handler.
    proc = subprocess.Popen(argv, cwd=str(ROOT), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 600  # generous: a loaded machine is slow, not wrong
    reached = False
    while time.time() < deadline and proc.poll() is None and not reached:
        reached = (out / "log.txt").exists() and "search epoch 1/3" in (out / "log.txt").read_text()
        time.sleep(0.05)
    assert reached, "the run never logged 'search epoch 1/3' (exit code %s)" % proc.poll()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("interrupted:")]
    assert len(lines) == 1 and "saved in %s" % (out / "runs") in lines[0], err
    assert "run the same command again to resume" in lines[0]
    log = (out / "log.txt").read_text()
    assert "interrupted (Ctrl-C): the finished stages and the last completed epoch are saved" in log
    again = subprocess.run(argv, cwd=str(ROOT), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resuming run" in (out / "log.txt").read_text()


def every_entry(folder: Path) -> dict:
    """Every file (its checksum), folder and symbolic link (its target) under ``folder``,
    hidden ones included, by relative path."""
    entries = {}
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(parent) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                entries[key] = "-> " + os.readlink(path)
            elif path.is_dir():
                entries[key] = "folder"
            else:
                entries[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


@pytest.mark.parametrize("source, overwrite, expected", [
    ("retrain.hdf5", True, "error: OUTPUT_DIR {out} holds {out}/retrain.hdf5, which this "
                           "command reads; --OVERWRITE would delete it: give another OUTPUT_DIR"),
    ("latest/finetune.json", True, "error: OUTPUT_DIR {out} holds {out}/latest/finetune.json, "
                                   "which this command reads"),
    ("copy", True, "error: OUTPUT_DIR {out} is not an earlier export (it holds no "
                   "assets/power_bert.json or power_bert.json of power-bert export); "
                   "--OVERWRITE replaces only an empty folder or an earlier export"),
    ("copy", False, "error: OUTPUT_DIR {out} exists and is not empty; pass --OVERWRITE"),
], ids=["its-own-checkpoint", "through-latest", "another-checkpoint", "no-overwrite"])
def test_export_onto_a_training_output_dir_is_refused_and_deletes_nothing(
        world, tmp_path, capsys, source, overwrite, expected):
    out = world["out"]
    checkpoint = copy_stage(world, tmp_path, "retrain") if source == "copy" else out / source
    before = every_entry(out)
    assert any(key.startswith("runs/") and key.endswith("retrain.hdf5") for key in before)
    argv = ["export", "--CHECKPOINT_PATH", str(checkpoint), "--OUTPUT_DIR", str(out)]
    assert cli.main(argv + (["--OVERWRITE"] if overwrite else [])) == 2
    err = capsys.readouterr().err
    assert err.startswith(expected.format(out=out)) and len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert every_entry(out) == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".out")] == []
