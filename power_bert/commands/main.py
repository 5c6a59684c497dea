"""``main.py``, the original release's command: training, or with --EVAL_ONLY or
--PREDICT_ONLY evaluation or prediction of a trained model.

The flags are those of ``commands/run_options.py`` that this command takes."""
from power_bert.commands import run_options


def add_arguments(parser):
    run_options.add_arguments(parser, "main")


run = run_options.run
