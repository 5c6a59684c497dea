"""The documentation says what the code does: docs/commands.md lists exactly each
parser's flags (and its defaults), every command line shown in the README and docs/
uses flags its command has, every relative link and anchor resolves, and the README's
test command is the one CI runs."""
import argparse
import re
from pathlib import Path
from typing import Dict, List, Set, Tuple

import pytest

from power_bert import cli

from helpers.cli import load_benchmark_script

ROOT = Path(__file__).resolve().parents[1]
COMMANDS_MD = ROOT / "docs" / "commands.md"
# The pages whose links and command lines are checked.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         ROOT / "benchmarks" / "README.md"]
ALL_COMMANDS = [*cli.COMMANDS, *cli.HIDDEN]

FENCE = re.compile(r"^ *```.*?^ *```[^\n]*$", re.S | re.M)
FLAG = re.compile(r"(?<![\w-])--[A-Z][A-Z0-9_]*")
CELL_SPLIT = re.compile(r"(?<!\\)\|")
# A markdown link or image: [text](target); the text may hold `code` but no newline.
LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)\)")
IMG_SRC = re.compile(r"<img [^>]*src=\"([^\"]+)\"")
SECTION = re.compile(r"^## `(power-bert [a-z-]+|main\.py)`\s*$")


def parser_flags(command: str) -> Dict[str, argparse.Action]:
    """Option string -> action of one command's parser, --help left out."""
    flags = {}
    for action in cli.command_parser(command)._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        for option in action.option_strings:
            flags[option] = action
    return flags


def table_rows(lines: List[str]) -> List[Tuple[Set[str], str]]:
    """(flags of the first cell, default cell) of every row of the flag tables in
    ``lines`` (tables whose header's first cell is ``flag``)."""
    rows, in_table = [], False
    for line in lines:
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in CELL_SPLIT.split(line.strip().strip("|"))]
        if cells[0] == "flag":
            in_table = True
        elif in_table and not set(cells[0]) <= set("-: "):
            rows.append((set(FLAG.findall(cells[0])), cells[-1]))
    return rows


def read_commands_md():
    """The pipeline table's rows, and per command its own rows and the pipeline flags it
    names (the ``Pipeline flags:`` paragraph of its section)."""
    sections: Dict[str, List[str]] = {}
    current = "intro"
    for line in COMMANDS_MD.read_text(encoding="utf-8").splitlines():
        match = SECTION.match(line)
        if match:
            name = match.group(1)
            current = "main" if name == "main.py" else name.split()[1]
            assert current not in sections, "docs/commands.md: two sections for %s" % name
            sections[current] = []
        elif line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        else:
            sections.setdefault(current, []).append(line)
    pipeline = table_rows(sections.pop("Pipeline flags"))
    commands = {}
    for name, lines in sections.items():
        named, in_list = set(), False
        for line in lines:  # the paragraph that starts with "Pipeline flags:"
            in_list = line.startswith("Pipeline flags:") or (in_list and line.strip() != "")
            if in_list:
                named |= set(FLAG.findall(line))
        commands[name] = (table_rows(lines), named)
    return pipeline, commands


PIPELINE, SECTIONS = read_commands_md()


def documented(command: str) -> Dict[str, str]:
    """Flag -> documented default cell, for one command of docs/commands.md."""
    own, named = SECTIONS[command]
    flags = {}
    for row_flags, default in own:
        for flag in row_flags:
            flags[flag] = default
    for name in named:
        rows = [r for r in PIPELINE if name in r[0]]
        assert rows, "docs/commands.md: %s names %s, which the Pipeline flags table lacks" % (
            command, name)
        for flag in rows[0][0]:
            flags[flag] = rows[0][1]
    return flags


def test_every_command_has_a_section():
    assert set(SECTIONS) - {"intro"} == set(ALL_COMMANDS)


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_documented_flags_are_the_parsers(command):
    docs, code = set(documented(command)), set(parser_flags(command))
    assert not code - docs, "%s: flags not in docs/commands.md" % command
    assert not docs - code, "%s: flags in docs/commands.md the parser lacks" % command


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_documented_defaults_are_the_parsers(command):
    """Where a parser declares a plain default (a number or a word), the default column
    states it; None, booleans and empty lists are explained in words instead."""
    docs = documented(command)
    for flag, action in parser_flags(command).items():
        default = action.default
        if default is None or isinstance(default, (bool, list)) or flag not in docs:
            continue  # (a flag missing from the docs is the test above's failure)
        pattern = r"(?<![\w.-])%s(?![\w-]|\.\d)" % re.escape(str(default))
        assert re.search(pattern, docs[flag]), "%s %s: default %r, documented %r" % (
            command, flag, default, docs[flag])


def test_every_pipeline_flag_is_used():
    named = set().union(*(n for _, n in SECTIONS.values()))
    for row_flags, _ in PIPELINE:
        assert row_flags & named, "Pipeline flags table: %s taken by no command" % row_flags


def _strip_code(text: str) -> str:
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> Set[str]:
    seen: Dict[str, int] = {}
    result = set()
    for line in _strip_code(page.read_text(encoding="utf-8")).splitlines():
        if not line.startswith("#"):
            continue
        base = slug(line.lstrip("#"))
        count = seen.get(base, 0)
        seen[base] = count + 1
        result.add(base if count == 0 else "%s-%d" % (base, count))
    return result


def links(page: Path) -> List[str]:
    text = _strip_code(page.read_text(encoding="utf-8"))
    text = re.sub(r"`[^`\n]*`", "", text)
    return LINK.findall(text) + IMG_SRC.findall(text)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), "%s: link to a missing file: %s" % (page.name, target)
        if anchor and file.suffix == ".md":
            assert anchor in anchors(file), "%s: no heading for #%s in %s" % (
                page.name, anchor, file.name)


def test_slug_follows_github():
    assert slug(" The `power-bert` command") == "the-power-bert-command"
    assert slug("GPU check (not run yet: 2 cores)") == "gpu-check-not-run-yet-2-cores"


# Command lines: how a page starts each command -> the command's parser.
STARTS = [(re.compile(r"\bpower-bert ([a-z-]+)"), None),
          (re.compile(r"\bpython -m power_bert\.cli ([a-z-]+)"), None),
          (re.compile(r"\bpython main\.py\b"), "main"),
          (re.compile(r"\bpython data_parser\.py\b"), "check-data"),
          (re.compile(r"\bpython -m power_bert\.convert\b"), "convert"),
          (re.compile(r"\bpython -m power_bert\.benchmark\b(?!\.)"), "benchmark"),
          (re.compile(r"\bpython -m power_bert\.submission\b"), "submit"),
          (re.compile(r"\bpython -m power_bert\.export\b"), "export"),
          (re.compile(r"\bpython -m power_bert\.sweep\b"), "sweep")]


def command_lines(text: str) -> List[str]:
    """Every shell line of the fenced blocks (continuations joined) and every inline code
    span, split at pipes and ``&&``/``;``."""
    pieces = []
    for block in FENCE.findall(text):
        joined = re.sub(r"\\\n", " ", "\n".join(block.splitlines()[1:-1]))
        pieces += joined.splitlines()
    pieces += re.findall(r"`([^`\n]+)`", _strip_code(text))
    return [part for piece in pieces for part in re.split(r"\||&&|;", piece)]


def shown_commands(page: Path) -> List[Tuple[str, str, Set[str]]]:
    found = []
    for line in command_lines(page.read_text(encoding="utf-8")):
        for pattern, command in STARTS:
            match = pattern.search(line)
            if match:
                name = command or match.group(1)
                found.append((line.strip(), name, set(FLAG.findall(line[match.end():]))))
                break
    return found


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_shown_commands_use_existing_flags(page):
    for line, command, flags in shown_commands(page):
        assert command in cli.COMMANDS or command in cli.HIDDEN, (
            "%s: unknown command in %r" % (page.name, line))
        missing = flags - set(parser_flags(command))
        assert not missing, "%s: %s has no %s (in %r)" % (page.name, command, missing, line)


def test_the_checks_see_the_commands():
    """A control: the pages do show commands, so the check above is not empty."""
    shown = {c for page in PAGES for _, c, _ in shown_commands(page)}
    assert {"main", "train", "eval", "predict", "benchmark", "sweep", "export"} <= shown


def test_readme_test_command_is_the_ci_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert ci in readme
    assert ("python3 -m venv .venv && . .venv/bin/activate && pip install -r "
            "requirements.txt && bash run.sh") in readme


def test_package_map_lists_every_module():
    """docs/development.md has one line per module of the package, and no line for a
    module that is gone (``__init__``/``__main__`` files aside)."""
    text = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    section = text.split("## Package map", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^- `(power_bert/[\w/]+\.py)`", section, re.M)
    assert len(listed) == len(set(listed)), "a module listed twice"
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "power_bert").rglob("*.py")}
    modules = {m for m in modules if not m.endswith(("/__init__.py", "/__main__.py"))}
    listed = {m for m in listed if not m.endswith("/__init__.py")}
    assert not modules - listed, "modules missing from the package map"
    assert not listed - modules, "the package map lists modules that do not exist"


def test_results_tables_are_the_committed_sweeps(capsys):
    """docs/results.md's GLUE table is what benchmarks/results_table.py prints from the
    committed sweep.json files (metric names aside, which the page capitalises), and the
    README's results at a glance repeat those rows' numbers."""
    table = load_benchmark_script("results_table")
    sweeps = [str(ROOT / "benchmarks" / "results" / ("%s-sweep" % t) / "sweep.json")
              for t in ("cola", "sst-2", "mrpc", "sts-b")]
    assert table.main(sweeps) == 0
    rows = capsys.readouterr().out.lower().splitlines()
    page = (ROOT / "docs" / "results.md").read_text(encoding="utf-8").lower().splitlines()
    assert len(rows) == 6 and all(row in page for row in rows)
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    glance = [line for line in readme if line.startswith("| ") and "selected and" in line]
    assert len(glance) == 4
    for line, row in zip(glance, rows[2:]):
        numbers = re.findall(r"[-+]?\d[\d.,]*x?", line.split("|", 3)[3])
        assert numbers and all(n in row for n in numbers), (line, row)


def test_held_out_rows_are_the_committed_held_out_sweeps(capsys):
    """docs/results.md's held-out table holds exactly the rows benchmarks/results_table.py
    prints from every committed held-out sweep (``*-sweep-tune*``)."""
    table = load_benchmark_script("results_table")
    sweeps = sorted(str(p) for p in (ROOT / "benchmarks" / "results").glob(
        "*-sweep-tune*/sweep.json"))
    assert sweeps
    assert table.main(sweeps) == 0
    rows = capsys.readouterr().out.lower().splitlines()[2:]
    page = (ROOT / "docs" / "results.md").read_text(encoding="utf-8").lower().splitlines()
    assert len(rows) == len(sweeps) and all(row in page for row in rows)
    held_out = [line for line in page if line.startswith("| ")
                and re.search(r"held out( as whole sentences)? \(seed", line)]
    assert sorted(held_out) == sorted(rows)
    # the README's results at a glance: one held-out row per task, the numbers of that
    # task's sweep with the same split (rows, or whole sentences: SST-2)
    readme = (ROOT / "README.md").read_text(encoding="utf-8").lower().splitlines()
    glance = [line for line in readme if line.startswith("| ")
              and re.search(r"held out( as whole sentences)?, reported on dev", line)]
    task = lambda line: line.split("|")[1].split()[0]  # noqa: E731
    assert sorted(map(task, glance)) == sorted(set(map(task, rows)))
    for line in glance:
        [row] = [row for row in rows if task(row) == task(line)
                 and ("whole sentences" in row) == ("whole sentences" in line)]
        numbers = re.findall(r"[-+]?\d[\d.,]*x?", line.split("|", 3)[3])
        assert numbers and all(n in row for n in numbers), (line, row)


PEER_ROW = re.compile(r"^\| (mrpc|sst-2) \(\d+\) \|.*$", re.M)


def test_peer_tables_are_the_committed_peer_results():
    """Every row of the peer tables in docs/results.md is a row that a committed
    ``benchmarks/results/peers*/peers*.md`` holds, as ``python -m
    power_bert.benchmark.peers`` wrote it: no number is typed by hand."""
    committed = {m.group(0)
                 for table in (ROOT / "benchmarks" / "results").glob("peers*/peers*.md")
                 for m in PEER_ROW.finditer(table.read_text(encoding="utf-8"))}
    rows = [m.group(0) for m in
            PEER_ROW.finditer((ROOT / "docs" / "results.md").read_text(encoding="utf-8"))]
    assert len(rows) >= 8
    assert [row for row in rows if row not in committed] == []
