"""Quiet, useful output: progress bars only on a terminal, no TensorFlow start-up noise,
and run.sh says how to get the package when it is missing."""
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import main as main_py
from power_bert import training
from power_bert.options import resolve_verbose

from helpers.runs import demo_argv, demo_files

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return demo_files(tmp_path_factory.mktemp("quiet"))


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bars_only_on_a_terminal_unless_verbose_is_given():
    assert resolve_verbose(None, Terminal()) == 1
    assert resolve_verbose(None, io.StringIO()) == 2  # a file or a pipe: a line an epoch
    assert resolve_verbose(None, object()) == 2  # a stream without isatty
    for given in (0, 1, 2):
        assert resolve_verbose(given, io.StringIO()) == given
        assert resolve_verbose(given, Terminal()) == given
    assert not sys.stdout.isatty()  # pytest captures it, as a redirect would
    assert resolve_verbose(None) == 2


class Stop(Exception):
    pass


@pytest.mark.parametrize("given, expected", [(None, 2), ("1", 1), ("0", 0)])
def test_training_gets_the_resolved_verbosity(files, tmp_path, monkeypatch,
                                              given, expected):
    seen = []

    def fit(*args, **kwargs):
        seen.append(args[7] if len(args) > 7 else kwargs["verbose"])
        raise Stop

    monkeypatch.setattr(training, "fit", fit)
    argv = demo_argv(files, tmp_path / "out", "main")
    argv = argv[:argv.index("--VERBOSE")] + argv[argv.index("--VERBOSE") + 2:]
    if given is not None:
        argv += ["--VERBOSE", given]
    argv += ["--EPOCH", "1", "--BATCH_SIZE", "8"]
    with pytest.raises(Stop):  # the run ends at its first fit
        main_py.main(argv)
    assert seen == [expected]


NOISE = ("absl::InitializeLog", "oneDNN custom operations", "cuda drivers", "cuInit",
         "cpu_feature_guard")


def python(code: str, **env):
    given = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    given.update(env)
    return subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), env=given,
                          capture_output=True, text=True, timeout=300)


def test_tensorflow_start_up_is_silent_by_default():
    done = python("import sys; import power_bert.backend as b; "
                  "b.tf.config.list_physical_devices(); print('kept', file=sys.stderr); "
                  "import os; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
    assert done.stderr.strip() == "kept", done.stderr  # the program's own lines still show
    assert not any(noise in done.stderr for noise in NOISE)


@pytest.mark.slow
@pytest.mark.parametrize("first", [
    "import power_bert.model", "import power_bert.layers", "import power_bert.tokenization",
    "from power_bert.data import load_vocab; load_vocab(VOCAB)"])
def test_a_command_s_first_tensorflow_import_is_silent_too(first, tmp_path):
    # keras-bert's packages import TensorFlow themselves: before the backend, its
    # start-up lines would not be held back (power-bert export printed six)
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\nfilm\n", encoding="utf-8")
    first = first.replace("VOCAB", repr(str(vocab)))
    done = python("import sys; %s; print('kept', file=sys.stderr)" % first)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "kept", done.stderr


def test_an_explicit_log_level_is_kept():
    done = python("import os, power_bert; print(os.environ['TF_CPP_MIN_LOG_LEVEL'])",
                  TF_CPP_MIN_LOG_LEVEL="0")
    assert done.stdout.strip() == "0", done.stderr


@pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="no /usr/bin/python3")
def test_run_sh_says_how_to_get_the_package(tmp_path):
    bare = "/usr/bin/python3"
    if subprocess.run([bare, "-c", "import tensorflow"], cwd=str(tmp_path),
                      capture_output=True).returncode == 0:
        pytest.skip("/usr/bin/python3 has TensorFlow")
    done = subprocess.run(["bash", str(ROOT / "run.sh")], env=dict(os.environ, PYTHON=bare),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "run.sh: the power_bert package or its requirements are not installed for %s; "
        "activate the environment (. .venv/bin/activate) or install it "
        "(pip install -r requirements.txt)" % bare)
    assert "Traceback" not in done.stderr and done.stdout == ""
