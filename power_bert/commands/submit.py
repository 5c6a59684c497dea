"""``power-bert submit``: the GLUE prediction files of several runs into one zip for the
GLUE server, with what is missing."""
from power_bert.errors import SubmissionError
from power_bert.submission import (collect_submission_files, in_glue_order,
                                   missing_submission_names, write_submission_zip)
from power_bert.tasks import GLUE_SUBMISSION_NAMES


def add_arguments(parser):
    parser.add_argument("--OUTPUT_DIR", nargs="+", required=True, metavar="OUTPUT_DIR",
                        help="output folders of runs (their glue/ subfolder is searched)")
    parser.add_argument("--ZIP", default="submission.zip",
                        help="zip to write (default: %(default)s)")


def run(args) -> int:
    """Gathers glue/*.tsv from output folders into one zip and lists what is missing.

    Raises:
      SubmissionError: conflicting or malformed files, a missing folder, or no GLUE
        prediction file at all.
    """
    files, notes = collect_submission_files(args.OUTPUT_DIR)
    for note in notes:
        print(note)
    if not files:
        raise SubmissionError("no GLUE prediction file (%s) found in %s"
                              % (", ".join(n + ".tsv" for n in GLUE_SUBMISSION_NAMES),
                                 ", ".join(args.OUTPUT_DIR)))
    write_submission_zip(files, args.ZIP)
    missing = missing_submission_names(files)
    print("wrote %s with %d of %d files: %s"
          % (args.ZIP, len(files), len(GLUE_SUBMISSION_NAMES), ", ".join(in_glue_order(files))))
    print("missing (%d): %s" % (len(missing), ", ".join(missing)) if missing
          else "missing: none, the submission is complete")
    return 0
