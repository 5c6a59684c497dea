"""The one object that owns a run's ``log.txt`` and ``results.json``.

``log.txt`` is appended to by every run and never truncated; ``results.json`` is
rewritten atomically (temporary file, then rename) after each stage, so it is always
valid JSON.
"""
import datetime
import json
import os
import sys
from typing import Dict


def write_json_atomically(path: str, data: Dict):
    """Writes ``data`` as indented JSON to ``path`` through a temporary file."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as writer:
            json.dump(data, writer, indent=2)
            writer.write("\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class RunRecord:
    """``OUTPUT_DIR/log.txt`` (timestamped lines, also printed) and
    ``OUTPUT_DIR/results.json`` (merged entries, updated after each stage)."""

    def __init__(self, output_dir: str):
        self.output_dir = output_dir
        self.log_path = os.path.join(output_dir, "log.txt")
        self.results_path = os.path.join(output_dir, "results.json")
        self.opened = False

    def open(self, options: Dict):
        """Creates OUTPUT_DIR and starts a run's section of the log."""
        os.makedirs(self.output_dir, exist_ok=True)
        self.opened = True
        self.log("=" * 78)
        self.log("power_bert run: %s" % " ".join(sys.argv))
        self.log("options: %s" % json.dumps(options, sort_keys=True))

    def log(self, message: str):
        stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        with open(self.log_path, "a", encoding="utf-8") as writer:
            for line in str(message).splitlines() or [""]:
                writer.write("[%s] %s\n" % (stamp, line))
        print(message, flush=True)

    def results(self) -> Dict:
        """The current results.json ({} when absent or unreadable)."""
        try:
            with open(self.results_path, "r", encoding="utf-8") as reader:
                return json.load(reader)
        except (OSError, ValueError):
            return {}

    def update(self, **entries) -> Dict:
        """Merges ``entries`` into results.json (atomically) and returns the result."""
        results = self.results()
        results.update(entries)
        results["updated"] = datetime.datetime.now().isoformat(timespec="seconds")
        write_json_atomically(self.results_path, results)
        return results

    def start_training(self):
        """A new training run: an earlier results.json moves to results.previous.json,
        so the new one holds no stale entries."""
        if os.path.exists(self.results_path):
            previous = os.path.join(self.output_dir, "results.previous.json")
            os.replace(self.results_path, previous)
            self.log("an earlier results.json was moved to %s" % previous)
