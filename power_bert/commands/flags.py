"""The one flag style of every ``power-bert`` subcommand: upper-case flags of the
original release, and these shared argparse types and actions.

  nonnegative_int                  a count or seed checked by argparse (``--SEED 0``)
  add_flags                        a command's own (flag, argparse keywords) table
  field_defaults                   the defaults of an options dataclass, for the flags
  add_switch                       ``--XLA true|false`` (also yes/no, on/off, 1/0)
  add_deprecated                   an old spelling of a flag, accepted with one
                                   ``deprecated: ...`` line on standard error

A switch's value is kept as given and read by ``options.parse_switch`` where the
command checks its options, so an unknown value is refused with the same message
whichever command gets it.
"""
import argparse
import dataclasses
import sys
from typing import Dict, Sequence

SWITCH_METAVAR = "true|false"


def nonnegative_int(text: str) -> int:
    """An argparse type: an integer >= 0."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError("must be an integer >= 0, got %r" % text) from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be an integer >= 0, got %d" % value)
    return value


def deprecation(message: str):
    """Prints the one-line deprecation note of an old spelling."""
    print("deprecated: %s" % message, file=sys.stderr)


class _Switch(argparse.Action):
    """``--FLAG true|false``; the flag alone still means true, with a deprecation note."""

    def __call__(self, parser, namespace, values, option_string=None):
        if values is None:
            deprecation("%s alone; write %s true" % (option_string, self.option_strings[0]))
            values = "true"
        setattr(namespace, self.dest, values)


def add_switch(parser, flag: str, help: str, default=None):
    """Adds a ``true|false`` switch (its value is read by ``options.parse_switch``)."""
    parser.add_argument(flag, dest=flag[2:], nargs="?", action=_Switch, default=default,
                        metavar=SWITCH_METAVAR, help=help)


class _Deprecated(argparse.Action):
    """An old spelling: stores into the new flag's destination, with a note."""

    def __init__(self, option_strings, dest, new: str, **kwargs):
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        deprecation("%s is now %s" % (option_string, self.new))
        setattr(namespace, self.dest, values)


def add_deprecated(parser, old: str, new: str, **kwargs):
    """Accepts ``old`` as a spelling of the flag ``new`` (added with the same ``kwargs``:
    type, choices), hidden from --help."""
    parser.add_argument(old, dest=new[2:], action=_Deprecated, new=new,
                        help=argparse.SUPPRESS, **kwargs)


def field_defaults(options_class) -> Dict[str, object]:
    """The defaults of a dataclass of options (``options.Options``,
    ``BenchmarkOptions``): the one declaration of each flag's default."""
    return {f.name: f.default for f in dataclasses.fields(options_class)
            if f.default is not dataclasses.MISSING}


def add_flags(parser, table: Sequence):
    """Adds (flag, argparse keyword arguments) rows to ``parser``; each flag's value is
    found under its name without the dashes."""
    for flag, kwargs in table:
        parser.add_argument(flag, dest=flag[2:], **kwargs)


__all__ = ["nonnegative_int", "add_switch", "add_deprecated", "add_flags", "field_defaults",
           "deprecation", "SWITCH_METAVAR"]
