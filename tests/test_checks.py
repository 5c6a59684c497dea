"""The shared small checks and writers every command uses: ``errors.check_integer`` (the
range of a whole-number flag) and ``outputs.markdown_table_lines`` (every Markdown table)."""
import numpy as np
import pytest

from power_bert.errors import BenchmarkError, UsageError, check_integer
from power_bert.outputs import markdown_table_lines


@pytest.mark.parametrize("value, low, high", [(1, 1, None), (5, 0, None), (0, 0, 3), (3, 0, 3),
                                              (np.int64(7), 1, None)])
def test_check_integer_returns_a_value_in_range(value, low, high):
    assert check_integer(value, "--N", low, high) == value


@pytest.mark.parametrize("value, low, high, message", [
    (0, 1, None, "--N must be at least 1, got 0"),
    (-3, 0, None, "--N must be at least 0, got -3"),
    (4, 0, 3, "--N must be an integer in [0, 3], got 4"),
    (-1, 0, 3, "--N must be an integer in [0, 3], got -1"),
    (True, 0, None, "--N must be an integer, got True"),
    (2.0, 0, None, "--N must be an integer, got 2.0"),
    ("2", 0, None, "--N must be an integer, got '2'"),
])
def test_check_integer_names_the_flag_and_the_range(value, low, high, message):
    with pytest.raises(UsageError) as caught:
        check_integer(value, "--N", low, high)
    assert str(caught.value) == message


def test_check_integer_raises_the_callers_class():
    with pytest.raises(BenchmarkError, match="^--RUNS must be at least 1, got 0$"):
        check_integer(0, "--RUNS", 1, error=BenchmarkError)


def test_markdown_table_lines():
    assert markdown_table_lines(["a", "b", "c"], [["x", "1", "2"], ["y", "", "3"]], "lr") == [
        "| a | b | c |", "|---|---:|---|", "| x | 1 | 2 |", "| y |  | 3 |"]
    assert markdown_table_lines(["only"], []) == ["| only |", "|---|"]


def test_markdown_table_lines_refuses_a_row_of_another_width_and_unknown_alignment():
    with pytest.raises(ValueError, match="a row of 1 cells in a table of 2 columns"):
        markdown_table_lines(["a", "b"], [["x"]])
    with pytest.raises(ValueError, match="align takes the letters l and r, got 'c'"):
        markdown_table_lines(["a"], [["x"]], "c")
