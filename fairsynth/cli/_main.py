"""The ``fairsynth`` command: argument parsing and error handling."""

import argparse
import os
import sys
import traceback

from .. import __version__
from . import _commands as commands
from ._signals import remember_interrupts

EXAMPLES = {
    "demo": "fairsynth demo --quick --out demo-report",
    "audit": "fairsynth audit adult.csv --target income --sensitive sex race "
    "--pred predicted",
    "resample": "fairsynth resample adult.csv --target income --sensitive sex "
    "-o fair.csv --strategy parity --save-model sampler.zip",
    "sample": "fairsynth sample sampler.zip -n 1000 -o women.parquet "
    "--group sex=Female --label 1",
    "report": "fairsynth report adult.csv fair.csv --target income --sensitive sex "
    "--out report",
}
HELP = {
    "demo": "audit, repair and retrain on the bundled Adult data; write a report",
    "audit": "print per-group rates of labels (and predictions, and a model's "
    "counterfactual flip rates)",
    "resample": "add generated rows that make a table fair",
    "sample": "generate rows from a saved model",
    "report": "compare a generated table with a real one in an HTML report",
}


def _common():
    """Options every command accepts, before or after its name."""
    # SUPPRESS keeps a subcommand from resetting what was given before its name.
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--quiet",
        action="store_true",
        default=argparse.SUPPRESS,
        help="no progress bars or loss tables",
    )
    parser.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an error",
    )
    return parser


def _add_command(subparsers, name, handler):
    parser = subparsers.add_parser(
        name,
        help=HELP[name],
        description=HELP[name][0].upper() + HELP[name][1:] + ".",
        epilog=f"example:\n  {EXAMPLES[name]}",
        parents=[_common()],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(handler=handler)
    return parser


def _add_labels(parser, *, pos_label=True):
    parser.add_argument(
        "--target", required=True, metavar="COL", help="the label column"
    )
    parser.add_argument(
        "--sensitive",
        required=True,
        nargs="+",
        metavar="COL",
        help="sensitive column(s); several add their intersection",
    )
    if pos_label:
        parser.add_argument(
            "--pos-label",
            metavar="V",
            help="the positive label, when it is not 1 or True",
        )


def _add_classifier(parser):
    parser.add_argument(
        "--classifier",
        metavar="PATH",
        help="a fitted classifier or Pipeline pickled with joblib.dump: the share "
        "of its decisions that change between each row and its twins (needs "
        "--model and --trust-classifier)",
    )
    parser.add_argument(
        "--trust-classifier",
        action="store_true",
        help="load --classifier: unpickling runs any code the file carries",
    )


def _add_rarity(parser):
    parser.add_argument(
        "--rarity",
        action="store_true",
        help="find the rarest rows with a VAE that sees neither the target, the "
        "predictions nor the sensitive columns; list the values over-represented "
        "among them and how the sensitive groups line up with them",
    )
    parser.add_argument(
        "--rarity-share",
        type=float,
        default=0.1,
        metavar="F",
        help="share of the rows counted as rarest, in (0, 1) (default: 0.1)",
    )
    parser.add_argument(
        "--report",
        metavar="DIR",
        help="also write an HTML report of the audit (group rates; with --rarity, "
        "the rarest rows) into DIR",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    _add_output(parser)


def _add_output(parser, *, folder=False):
    if folder:
        parser.add_argument(
            "--out",
            default="fairsynth-report",
            metavar="DIR",
            help="folder for report.html and its PNGs (default: %(default)s)",
        )
    parser.add_argument(
        "--force", action="store_true", help="overwrite existing output files"
    )


def _add_training(parser):
    parser.add_argument(
        "--device",
        default=os.environ.get("FAIRSYNTH_DEVICE", "auto"),
        help="torch device: auto, cpu, cuda (default: $FAIRSYNTH_DEVICE, else auto)",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")


def _demo_parser(subparsers):
    from ._demo import QUICK, demo

    parser = _add_command(subparsers, "demo", demo)
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"train on {QUICK['rows']} random rows for {QUICK['epochs']} epochs "
        "instead of all training rows for FairGANSampler's default training: "
        "several times faster, for a first look, but the shorter-trained "
        "generator does less for fairness",
    )
    parser.add_argument(
        "--rows", type=int, metavar="N", help="training rows drawn from Adult"
    )
    parser.add_argument("--epochs", type=int, metavar="N", help="training epochs")
    parser.add_argument(
        "--strength-sweep",
        type=float,
        nargs="*",
        default=[2.0],
        metavar="S",
        help="also fit parity samplers with these parity_strength values "
        "(default: 2; none with no value)",
    )
    _add_training(parser)
    _add_output(parser, folder=True)
    parser.set_defaults(out="fairsynth-demo")


def _resample_parser(subparsers):
    parser = _add_command(subparsers, "resample", commands.resample)
    parser.add_argument("data", metavar="DATA", help="input table (.csv or .parquet)")
    _add_labels(parser, pos_label=False)
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="resampled table (.csv or .parquet)",
    )
    _add_sampler_options(parser)
    parser.add_argument(
        "--drop",
        nargs="+",
        default=[],
        metavar="COL",
        help="columns to leave out before training (identifiers, names, free text, "
        "dates)",
    )
    parser.add_argument(
        "--keep-all",
        action="store_true",
        help="train on columns that look like identifiers, free text, dates or "
        "constants instead of stopping",
    )
    parser.add_argument(
        "--save-model",
        metavar="PATH",
        help="save the fitted sampler as a model file, for `fairsynth sample`",
    )
    parser.add_argument(
        "--mark-origin",
        action="store_true",
        help="add a column row_origin: real, copied or generated, for each row",
    )
    _add_training(parser)
    _add_output(parser)


def _focus(text):
    """``--boundary-focus``: "auto" or a number."""
    return text if text == "auto" else float(text)


def _add_sampler_options(parser):
    parser.add_argument(
        "--strategy",
        default="auto",
        metavar="S",
        help="which cells grow: auto, parity or balance; or rows per cell, inline "
        "as GROUP:CLASS=N,... or a CSV file with the sensitive columns, the target "
        "and n_rows (cells left out keep their rows; default: auto)",
    )
    parser.add_argument(
        "--bins",
        action="append",
        metavar="COL=K",
        help="cut a numeric column (such as an age used as a sensitive column) into "
        "K quantile bands before training (repeatable)",
    )
    parser.add_argument(
        "--keep-real",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep the real rows (default: yes)",
    )
    parser.add_argument(
        "--parity-strength",
        type=float,
        default=1.0,
        metavar="S",
        help="how far parity moves each group's label rate towards, or past "
        "(above 1), the overall rate (default: 1.0)",
    )
    parser.add_argument(
        "--boundary-focus",
        type=_focus,
        default="auto",
        metavar="F",
        help="how strongly added rows favour those that look like their group's "
        "rows of another class; 0 adds typical rows (default: auto, 2 for parity "
        "and 0 otherwise)",
    )
    parser.add_argument(
        "--copy-share",
        type=float,
        default=0.0,
        metavar="C",
        help="share of the added rows that are copies of real rows, drawn with the "
        "same focus, instead of generated ones (default: 0.0)",
    )
    parser.add_argument(
        "--lambda-fair",
        type=float,
        metavar="L",
        help="weight of a fairness adversary for fully generated tables "
        "(--no-keep-real; default: off)",
    )
    parser.add_argument(
        "--label-fairness",
        type=float,
        default=1.0,
        metavar="F",
        help="how far a fully generated table's labels follow a classifier that is "
        "fair on the real rows (--no-keep-real; 0: the generator's own; default: 1.0)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        metavar="N",
        help="most training epochs (default: enough for 3,000 training steps; "
        "training stops earlier once the validation likelihood stops improving)",
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        metavar="N",
        help="rows per training batch, over all processes when torchrun starts "
        "several (default: a 32nd of the rows, from 32 to 512)",
    )


def _other_parsers(subparsers):
    parser = _add_command(subparsers, "audit", commands.audit)
    parser.add_argument("data", metavar="DATA", help="table (.csv or .parquet)")
    _add_labels(parser)
    parser.add_argument("--pred", metavar="COL", help="a column of predictions")
    parser.add_argument(
        "--model",
        metavar="PATH",
        help="a sampler saved by resample, to make each row's counterfactual twins",
    )
    _add_classifier(parser)
    _add_rarity(parser)

    parser = _add_command(subparsers, "sample", commands.sample)
    parser.add_argument("model", metavar="MODEL", help="a model saved by resample")
    parser.add_argument("-n", type=int, required=True, help="number of rows")
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="generated table (.csv or .parquet)",
    )
    parser.add_argument(
        "--group",
        action="append",
        metavar="COL=VALUE",
        help="fix a sensitive column's value (repeatable)",
    )
    parser.add_argument("--label", metavar="V", help="fix the label")
    parser.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of the rows: the same seed gives the same table (default: "
        "drawn from the model's random state)",
    )
    _add_output(parser)

    parser = _add_command(subparsers, "report", commands.report)
    parser.add_argument("real", metavar="REAL", help="the real table")
    parser.add_argument(
        "synthetic",
        metavar="SYNTHETIC",
        help="a generated or resampled table; its generated rows are scored (told "
        "by a row_origin column, or else by leading rows equal to REAL)",
    )
    _add_labels(parser)
    parser.add_argument(
        "--model",
        metavar="PATH",
        help="a saved sampler, to add its training losses (and twins, with "
        "--classifier)",
    )
    _add_classifier(parser)
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    _add_output(parser, folder=True)


def build_parser():
    """Build the ``fairsynth`` argument parser and its subcommands."""
    parser = argparse.ArgumentParser(
        prog="fairsynth",
        parents=[_common()],
        description="Measure and reduce bias in tabular data with generative models.",
        epilog=f"start with:\n  {EXAMPLES['demo']}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _demo_parser(subparsers)
    _other_parsers(subparsers)
    _resample_parser(subparsers)
    return parser


def main(argv=None):
    """Run the ``fairsynth`` command line; return its exit status.

    Parameters
    ----------
    argv : list of str, default=None
        The arguments after ``fairsynth``; by default, those of the command line.

    Returns
    -------
    int
        0 on success; 1 after an error, whose message goes to stderr; 2 without a
        command; 130 after Ctrl-C; 141 when the reader of stdout has gone.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from fairsynth.datasets import make_biased_classification
    >>> X, y = make_biased_classification(100, random_state=0)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "data.csv"
    ...     X.assign(label=y).to_csv(path, index=False)
    ...     main(["audit", str(path), "--target", "label", "--sensitive", "group"])
    Positive label of 'label': 1 (--pos-label to choose)
    <BLANKLINE>
    == group (100 rows) ==
                        size  base_rate
    kind    group
    group   g0            51     0.3137
            g1            49     0.7959
    summary overall      100     0.5500
            difference  <NA>     0.4822
            ratio       <NA>     0.3942
    0
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    args.quiet = getattr(args, "quiet", False)
    args.debug = getattr(args, "debug", False)
    try:
        with remember_interrupts():
            args.handler(args)
    except KeyboardInterrupt:
        print("fairsynth: interrupted; nothing was written", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone: stop quietly, as Unix tools do, and
        # keep Python from complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as error:
        if args.debug:
            traceback.print_exc()
        print(
            f"fairsynth: error: {str(error) or type(error).__name__}", file=sys.stderr
        )
        return 1
    return 0
