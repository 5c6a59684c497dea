"""The command layer (``power_bert/commands/``): the library below it reads no flags, one
flag style and one meaning per flag name, each default declared once, help written per
command, and old spellings still accepted with a one-line deprecation note."""
import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from power_bert import cli
from power_bert.options import Options

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "power_bert"
# The only modules that may read the command line.
COMMAND_LAYER = ("cli.py", "commands/")
# Modules that take the run's validated options (``options.ValidOptions``): the run
# drivers. Everything else below the commands (model, layers, stages, data, ...) does not.
OPTIONS_USERS = ("pipeline.py", "sweep/cells.py", "ablation.py")


def _entry_or_typing_block(node) -> bool:
    """``if __name__ == "__main__":`` (a ``python -m`` entry point calling the command)
    or ``if TYPE_CHECKING:`` (annotations only)."""
    if not isinstance(node, ast.If):
        return False
    test = ast.unparse(node.test)
    return test in ("TYPE_CHECKING", "typing.TYPE_CHECKING") or "__name__" in test


def imported_modules(path: Path):
    """Every module a file imports (at any level, including inside functions), but for
    its entry-point and type-checking blocks; nothing in a package's __main__.py."""
    if path.name == "__main__.py":
        return
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {id(inner) for node in ast.walk(tree) if _entry_or_typing_block(node)
               for inner in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from ("%s.%s" % (node.module, alias.name) for alias in node.names)


def library_files():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not relative.startswith(COMMAND_LAYER):
            yield relative, path


def test_no_library_module_imports_argparse_or_the_command_layer():
    offenders = [(name, module) for name, path in library_files()
                 for module in imported_modules(path)
                 if module == "argparse" or module.startswith(("power_bert.commands",
                                                               "power_bert.cli"))]
    assert offenders == []


def test_only_the_run_drivers_import_the_options_module():
    offenders = sorted({name for name, path in library_files()
                        for module in imported_modules(path)
                        if module.startswith("power_bert.options")} - set(OPTIONS_USERS))
    assert offenders == []


def test_the_model_loads_without_the_options_or_the_commands():
    """In a fresh process: importing the model loads neither the options module nor the
    command layer (TensorFlow itself imports argparse, so only ours are checked)."""
    code = ("import sys, power_bert.model\n"
            "loaded = [m for m in sys.modules if m == 'power_bert.options' or "
            "m.startswith(('power_bert.commands', 'power_bert.cli'))]\n"
            "assert not loaded, loaded\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]


def parse(command, argv):
    return cli.command_parser(command).parse_args(argv)


@pytest.mark.parametrize("command", ["train", "eval", "predict"])
def test_switches_take_true_or_false_and_the_bare_flag_is_deprecated(command, capsys):
    base = ["--TASK", "demo", "--OUTPUT_DIR", "out"]
    assert parse(command, base + ["--XLA", "false"]).XLA == "false"
    assert capsys.readouterr().err == ""
    args = parse(command, base + ["--XLA", "--DYNAMIC_PADDING"])
    assert (args.XLA, args.DYNAMIC_PADDING) == ("true", "true")
    assert capsys.readouterr().err.splitlines() == [
        "deprecated: --XLA alone; write --XLA true",
        "deprecated: --DYNAMIC_PADDING alone; write --DYNAMIC_PADDING true"]


def test_each_default_is_the_options_default():
    defaults = {f.name: f.default for f in dataclasses.fields(Options)
                if f.default is not dataclasses.MISSING}
    for command in ("train", "main"):
        args = parse(command, ["--TASK", "demo", "--OUTPUT_DIR", "out"])
        assert (args.EPOCH, args.SEED, args.PADDING_BUCKETS, args.TUNE_SEED,
                args.MIXED_PRECISION, args.DISTRIBUTE) == (
            defaults["epochs"], defaults["seed"], defaults["padding_buckets"],
            defaults["tune_seed"], defaults["mixed_precision"], defaults["distribute"])


def test_help_is_written_per_command():
    def help_of(command, flag):
        action = next(a for a in cli.command_parser(command)._actions
                      if flag in a.option_strings)
        return action.help
    assert help_of("train", "--BATCH_SIZE").startswith("training batch size")
    for command in ("eval", "predict"):
        assert help_of(command, "--BATCH_SIZE").startswith("inference batch size")


def test_every_command_has_its_own_module_with_flags_and_run():
    for name, (module, _) in dict(cli.COMMANDS, **cli.HIDDEN).items():
        assert module.startswith("power_bert.commands."), name
        loaded = __import__(module, fromlist=["run"])
        assert callable(loaded.add_arguments) and callable(loaded.run), name
        cli.command_parser(name)  # builds without a clash of flags


def test_run_sh_generates_the_demo_through_the_command_line():
    script = (ROOT / "run.sh").read_text()
    assert '-m power_bert.cli demo --OUTPUT_DIR "$OUTPUT_DIR/demo"' in script
    assert "power_bert.synthetic" not in script


def test_every_run_flag_is_one_options_field():
    from power_bert.commands.run_options import FLAGS, field_of
    fields = {f.name for f in dataclasses.fields(Options)}
    assert {flag for flag, _, _ in FLAGS if field_of(flag) not in fields} == set()


def test_no_module_drives_the_pipeline_through_its_private_methods():
    """The sweep and the ablation use the public training-run API (``Pipeline.start``,
    ``stage_context``, ``completed_run``, ``train``)."""
    import re
    private = re.compile(r"pipeline\w*\._\w+|Pipeline\._\w+")
    offenders = [path.relative_to(PACKAGE).as_posix()
                 for path in sorted(PACKAGE.rglob("*.py")) if path.name != "pipeline.py"
                 and private.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_old_spellings_are_accepted_with_a_note(capsys):
    """``benchmark --BERT_CONFIG`` is ``--BERT_CONFIG_PATH``; ``export --XLA`` alone is
    ``--XLA true``; each says so in one line on standard error."""
    args = parse("benchmark", ["--BERT_CONFIG", "config.json"])
    assert args.BERT_CONFIG_PATH == "config.json"
    assert capsys.readouterr().err.splitlines() == [
        "deprecated: --BERT_CONFIG is now --BERT_CONFIG_PATH"]
    assert parse("benchmark", ["--BERT_CONFIG_PATH", "config.json"]).BERT_CONFIG_PATH == (
        "config.json")
    base = ["--CHECKPOINT_PATH", "retrain.hdf5", "--OUTPUT_DIR", "out"]
    assert parse("export", base + ["--XLA"]).XLA == "true"
    assert capsys.readouterr().err.splitlines() == [
        "deprecated: --XLA alone; write --XLA true"]
    assert parse("export", base + ["--XLA", "false"]).XLA == "false"
    assert parse("export", base).XLA is None  # (off: export_model's default)
    assert capsys.readouterr().err == ""


def test_a_deprecated_spelling_reaches_the_run(tmp_path, capsys):
    """The old spelling is refused or run exactly as the new one (the same error here)."""
    missing = str(tmp_path / "none.json")
    assert cli.main(["benchmark", "--BERT_CONFIG", missing, "--RETENTION_CONFIG", "2,1",
                     "--OUTPUT", str(tmp_path / "b.json")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "deprecated: --BERT_CONFIG is now --BERT_CONFIG_PATH"
    assert err[1].startswith("error: --BERT_CONFIG_PATH: ") and len(err) == 2
