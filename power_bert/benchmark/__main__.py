"""``python -m power_bert.benchmark``: the same command as ``power-bert benchmark``."""
import sys

from power_bert import cli

if __name__ == "__main__":
    sys.exit(cli.run_command("benchmark", prog="python -m power_bert.benchmark"))
