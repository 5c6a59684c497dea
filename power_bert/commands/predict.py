"""``power-bert predict``: a trained model on the test set (GLUE files) or on raw text
(--INPUT).

The flags are those of ``commands/run_options.py`` that this command takes."""
from power_bert.commands import run_options


def add_arguments(parser):
    run_options.add_arguments(parser, "predict")


run = run_options.run
