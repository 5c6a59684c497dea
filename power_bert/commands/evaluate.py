"""``power-bert eval``: a trained model on the dev set (or a labelled test set).

The flags are those of ``commands/run_options.py`` that this command takes."""
from power_bert.commands import run_options


def add_arguments(parser):
    run_options.add_arguments(parser, "eval")


run = run_options.run
