"""Running a command line inside the test process, its one-line errors, and the scripts
of benchmarks/ (not a package) as modules."""
import importlib.util
import os
from typing import List

from power_bert import cli

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def exit_code(command: str, argv: List[str]) -> int:
    """The exit status of ``power-bert COMMAND ARGV`` run in this process (an argparse
    error's included)."""
    try:
        return cli.run_command(command, argv)
    except SystemExit as e:
        return e.code


def one_error_line(err: str) -> str:
    """``err`` stripped, after checking that it is one line starting with ``error: ``."""
    err = err.strip()
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    return err


def load_benchmark_script(name: str):
    """A script of benchmarks/ imported as a module, e.g.
    ``load_benchmark_script("results_table")``."""
    path = os.path.join(ROOT, "benchmarks", name + ".py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
