"""``python -m power_bert.sweep``: the same as ``power-bert sweep``."""
import sys

from power_bert import cli

sys.exit(cli.run_command("sweep", prog="python -m power_bert.sweep"))
