"""The ``power-bert`` command: one parser style, one way to fail.

    power-bert train       fine-tuning -> configuration search -> re-training
    power-bert eval        a trained model on the dev set
    power-bert predict     a trained model on the test set (GLUE files) or on raw text (--INPUT)
    power-bert check-data  what the pipeline reads from a GLUE folder
    power-bert convert     a Hugging Face BERT folder into Google's format
    power-bert benchmark   inference time of BERT against PoWER-BERT, interleaved
    power-bert ablation    word selection by attention, head or random, side by side
    power-bert elimination which word pieces survive each encoder (pictures)
    power-bert submit      the GLUE files of several runs into one zip
    power-bert export      a trained model as a SavedModel (TF Serving) or ONNX
    power-bert sweep       LAMBDA values x seeds from one fine-tuned model, benchmarked
    power-bert demo        the synthetic data and small random BERT that run.sh trains

Every subcommand takes the upper-case flags of the original release. A subcommand is a
module of ``power_bert.commands`` with ``add_arguments(parser)`` and ``run(args)``;
``run`` raises a ``power_bert.errors.PowerBertError`` for anything the user can fix,
which ends the command with one ``error: ...`` line and exit status 2 (no traceback). ``main.py``,
``run.sh`` and ``data_parser.py`` are thin shims over the same commands.
"""
import argparse
import importlib
import sys
import traceback
from typing import Callable, Optional, Sequence

from power_bert import __version__
from power_bert.errors import Interrupted, PowerBertError

# name -> (module with add_arguments/run, one-line help)
COMMANDS = {
    "train": ("power_bert.commands.train",
              "fine-tune, search a retention configuration, re-train"),
    "eval": ("power_bert.commands.evaluate", "evaluate a trained model on the dev set"),
    "predict": ("power_bert.commands.predict",
                "predict the test set, or raw text (--INPUT), with a trained model"),
    "check-data": ("power_bert.commands.check_data",
                   "check a GLUE folder and show what is read"),
    "convert": ("power_bert.commands.convert",
                "convert a Hugging Face BERT folder to Google's format"),
    "benchmark": ("power_bert.commands.benchmark",
                  "time BERT against PoWER-BERT on a dev set"),
    "ablation": ("power_bert.commands.ablation", "word selection by attention, head or "
                                                 "random: re-train and time each"),
    "elimination": ("power_bert.commands.elimination",
                    "which word pieces survive each encoder"),
    "submit": ("power_bert.commands.submit", "gather GLUE prediction files into one zip"),
    "export": ("power_bert.commands.export",
               "a trained model as a SavedModel that serves raw text, or as ONNX"),
    "sweep": ("power_bert.commands.sweep", "trade-off sweep: LAMBDA values x seeds from one "
                                           "fine-tuned model, then one benchmark of all"),
    "demo": ("power_bert.commands.demo", "generate run.sh's synthetic data set and small "
                                         "random BERT (not real data, not pre-trained)"),
}


# Entry points that are not listed: main.py, the original release's all-in-one command.
HIDDEN = {"main": ("power_bert.commands.main", "PoWER-BERT: fine-tune BERT, search a "
                   "retention configuration, re-train with word-vector elimination; or "
                   "evaluate/predict with a trained model (--EVAL_ONLY/--PREDICT_ONLY)")}
_REGISTRY = dict(COMMANDS, **HIDDEN)


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one ``error: ...`` line and exit status 2."""

    def error(self, message):
        print("error: %s (see %s --help)" % (message, self.prog), file=sys.stderr)
        sys.exit(2)


def fail(message: str) -> int:
    """Prints the one error line and returns exit status 2."""
    print("error: %s" % message, file=sys.stderr)
    return 2


def run_guarded(run: Callable, args) -> int:
    """Runs a subcommand; user errors become one line and exit status 2; Ctrl-C and
    SIGTERM end it with 130 and 143. The error line, the interruption or an unexpected
    traceback also goes to the log.txt the command was writing, if any."""
    from power_bert import interrupts, outputs
    outputs.forget_active_log()
    try:
        with interrupts.watched():
            status = run(args)
    except PowerBertError as e:
        outputs.log_to_active("error: %s" % e)
        return fail(str(e))
    except Interrupted as e:  # (the pipeline has logged what was saved)
        print("\ninterrupted: %s" % e, file=sys.stderr)
        return interrupts.exit_status()
    except KeyboardInterrupt:
        outputs.log_to_active("interrupted (%s)" % interrupts.signal_name())
        print("\ninterrupted", file=sys.stderr)
        return interrupts.exit_status()
    except Exception:
        outputs.log_to_active("unexpected error (a bug; please report it with this log):\n%s"
                              % traceback.format_exc().rstrip())
        raise
    return int(status or 0)


def _module(command: str):
    return importlib.import_module(_REGISTRY[command][0])


def command_parser(command: str, prog: Optional[str] = None) -> Parser:
    """The parser of one subcommand (also used by the shims and ``python -m``)."""
    parser = Parser(prog=prog or "power-bert %s" % command,
                    description=_REGISTRY[command][1])
    _module(command).add_arguments(parser)
    return parser


def run_command(command: str, argv: Optional[Sequence[str]] = None,
                prog: Optional[str] = None) -> int:
    """Parses ``argv`` for one subcommand and runs it; returns the exit status."""
    try:
        args = command_parser(command, prog).parse_args(argv)
    except SystemExit as e:  # --help (0) or a flag argparse cannot parse (2)
        return int(e.code or 0)
    return run_guarded(_module(command).run, args)


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = Parser(prog="power-bert", description=__doc__.split("\n\n")[0],
                 formatter_class=argparse.RawDescriptionHelpFormatter,
                 epilog="\n".join("  %-11s %s" % (name, text)
                                  for name, (_, text) in COMMANDS.items()))
    top.add_argument("--version", action="version", version="power-bert %s" % __version__)
    top.add_argument("command", choices=list(COMMANDS), metavar="COMMAND",
                     help="one of: %s" % ", ".join(COMMANDS))
    if not argv or argv[0] in ("-h", "--help", "--version"):
        top.parse_args(argv or ["--help"])
        return 0
    top.parse_args(argv[:1])
    return run_command(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main())
