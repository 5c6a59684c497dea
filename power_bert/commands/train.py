"""``power-bert train``: fine-tuning, configuration search and re-training, the three
stages of PoWER-BERT.

The flags are those of ``commands/run_options.py`` that this command takes."""
from power_bert.commands import run_options


def add_arguments(parser):
    run_options.add_arguments(parser, "train")


run = run_options.run
