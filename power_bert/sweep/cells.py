"""A sweep's cells and its checked options (``commands/sweep.py`` makes them from the
flags)."""
import dataclasses
from typing import Optional, Tuple

from power_bert.options import ValidOptions

CELLS = "cells"  # OUTPUT_DIR/cells/<cell>/: each cell's pipeline output


@dataclasses.dataclass(frozen=True)
class Cell:
    """One training run of the sweep."""
    lambda_: float
    lr_soft_extract: float
    seed: int

    @property
    def setting(self) -> Tuple[float, float]:
        return self.lambda_, self.lr_soft_extract

    @property
    def folder_name(self) -> str:
        return "lambda=%g,lrs=%g,seed=%d" % (self.lambda_, self.lr_soft_extract, self.seed)

    @property
    def model_name(self) -> str:
        """Its name in the benchmark (letters, digits, '.', '_', '-')."""
        return "lambda%g_lrs%g_seed%d" % (self.lambda_, self.lr_soft_extract, self.seed)


@dataclasses.dataclass(frozen=True)
class SweepOptions:
    """The checked flags: every cell's ``options.ValidOptions`` and the benchmark's
    settings."""
    output_dir: str
    cells: Tuple[Cell, ...]
    cell_options: Tuple[ValidOptions, ...]  # per cell, in the order of ``cells``
    max_drop: float
    batch_size: int
    runs: int
    warmup: int
    max_examples: Optional[int]

    @property
    def base(self):
        """The options every cell shares (``options.Options`` of the first cell)."""
        return self.cell_options[0].options
