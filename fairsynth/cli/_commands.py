"""The ``audit``, ``resample``, ``sample`` and ``report`` commands."""

import os
import sys
from pathlib import Path

import pandas as pd

from ._cells import bin_columns, parse_strategy
from ._io import (
    SAMPLE_CHUNK,
    CLIError,
    check_columns,
    check_output,
    check_same_columns,
    check_table_output,
    load_classifier,
    load_model,
    match_value,
    read_table,
    save_model,
    table_format,
    write_csv_chunks,
    write_table,
)
from ._origin import (
    ORIGIN_COLUMN,
    ORIGINS,
    row_origins,
    side_effects,
    warn_side_effects,
)
from ._signals import raise_if_interrupted

# audit warns about groups smaller than this: a handful of rows gives rates that
# swing by tens of points, and the difference and ratio rows follow the extremes.
SMALL_GROUP = 30

NEEDS_MODEL = (
    "--classifier needs --model, a sampler saved by fairsynth resample, which makes "
    "each row's counterfactual twins."
)

# The columns whose shift resample prints, largest first.
SHIFT_ROWS = 10


def say(*parts):
    """Print results to stdout at once, so that they interleave with progress bars."""
    print(*parts, flush=True)


def load_labelled(path, target, sensitive, extra=()):
    """Read a table and check its target, sensitive and ``extra`` columns."""
    frame = read_table(path)
    check_columns(frame, [target], path, "--target")
    check_columns(frame, sensitive, path, "--sensitive")
    check_columns(frame, [c for c in extra if c is not None], path, "--pred")
    if target in sensitive:
        raise CLIError(f"--target {target!r} cannot also be a --sensitive column.")
    return frame


def positive_label(frame, target, text):
    """``--pos-label`` as a value of the target column (None when not given)."""
    if text is None:
        return None
    return match_value(text, frame[target].dropna().unique(), f"a value of {target!r}")


def audit(args):
    """Print group reports of the labels and predictions, and twins' flip rates.

    ``--pred`` adds a column of predictions; ``--classifier`` with ``--model``
    the flip rates of a classifier between rows and their counterfactual twins.
    """
    from ..metrics import group_report
    from ..metrics._validation import infer_pos_label
    from ..report import attribute_sets

    frame = load_labelled(args.data, args.target, args.sensitive, [args.pred])
    pos_label = positive_label(frame, args.target, args.pos_label)
    if args.model and not args.classifier:
        raise CLIError("--model makes twins for --classifier; pass --classifier too.")
    if args.classifier and not args.model:
        raise CLIError(NEEDS_MODEL)
    sampler, classifier = load_models(args)
    check_audit_options(args)
    features = frame.drop(columns=[args.pred] if args.pred else [])
    flips = counterfactual_audit(args, sampler, classifier, features)
    if pos_label is None:
        chosen = infer_pos_label(frame[args.target].dropna(), None)
        say(f"Positive label of {args.target!r}: {chosen!r} (--pos-label to choose)")
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        for names in attribute_sets(args.sensitive):
            report = group_report(
                frame[args.target],
                None if args.pred is None else frame[args.pred],
                sensitive_features=frame[names] if len(names) > 1 else frame[names[0]],
                pos_label=pos_label,
            )
            say(f"\n== {' × '.join(names)} ({len(frame)} rows) ==")
            say(report.round(4).to_string())
            warn_small_groups(report.loc["group", "size"])
        if flips is not None:
            say(f"\n== counterfactual twins ({flips['n_twins'].iloc[-1]} twins) ==")
            say(flips.round(4).to_string())
        rarity = rarity_audit(args, frame) if args.rarity else None
    if args.report:
        write_audit_report(args, frame, pos_label, [rarity] if rarity else [])


def check_audit_options(args):
    """Refuse, before any work, a bad ``--rarity-share`` or a used report folder."""
    if args.rarity and not 0 < args.rarity_share < 1:
        raise CLIError(
            f"--rarity-share must be between 0 and 1; got {args.rarity_share}."
        )
    if args.report:
        check_report_dir(args.report, force=args.force)


def rarity_audit(args, frame):
    """Print the rarest rows' section of ``--rarity``, and return it."""
    from ..report import rarity_audit_section

    exclude = [args.target, *args.sensitive, *([args.pred] if args.pred else [])]
    try:
        section = rarity_audit_section(
            frame,
            exclude=exclude,
            groups=frame[args.sensitive],
            share=args.rarity_share,
            random_state=args.seed,
        )
    except (ValueError, TypeError) as error:
        raise CLIError(f"--rarity: {error}") from error
    for caption, table in section.tables.items():
        say(f"\n== {caption} ==")
        say(table.to_string(index=False))
    return section


def write_audit_report(args, frame, pos_label, extra):
    """Write the audit's HTML report: base rates per group, then ``extra``."""
    from ..report import rates_section, write_report

    series = {"labels": (frame[args.target], None, frame)}
    if args.pred:
        series["predictions"] = (frame[args.pred], None, frame)
    rates = rates_section(
        "Group rates",
        "audit_rates",
        series,
        args.sensitive,
        title="Share of positive labels (and predictions) per group",
        pos_label=pos_label,
    )
    path = write_report(
        args.report,
        "fairsynth audit",
        [rates, *extra],
        force=args.force,
        intro=f"Audit of {args.data}: {len(frame)} rows.",
    )
    say(f"Wrote the report to {path}")


def load_models(args):
    """Load the ``--model`` sampler and the ``--classifier`` model (None if absent)."""
    sampler = load_model(args.model) if args.model else None
    classifier = None
    if args.classifier:
        classifier = load_classifier(args.classifier, trusted=args.trust_classifier)
    return sampler, classifier


def counterfactual_audit(args, sampler, classifier, frame):
    """Flip rates of ``classifier`` on the table's rows and their twins, or None.

    ``sampler`` (the ``--model``) makes each row's twins in every other group.
    """
    from ..metrics import counterfactual_report

    if classifier is None:
        return None
    if sampler is None:
        raise CLIError(NEEDS_MODEL)
    X = frame.drop(columns=args.target).reset_index(drop=True)
    X_twin, _ = sampler.counterfactuals(X, frame[args.target].to_numpy())
    try:
        return counterfactual_report(
            classifier, X, X_twin, sensitive=sampler.sensitive_
        )
    except (ValueError, KeyError, TypeError) as error:
        raise CLIError(
            f"{args.classifier}: could not predict the rows of the table: {error}"
        ) from error


def warn_small_groups(sizes):
    """Warn that the difference and ratio rows rest on groups this small."""
    small = sizes[sizes < SMALL_GROUP]
    if len(small):
        listed = ", ".join(f"{group} ({size} rows)" for group, size in small.items())
        print(
            f"fairsynth: warning: {listed}: fewer than {SMALL_GROUP} rows, so "
            "their rates, and the difference and ratio rows they drive, are noisy.",
            file=sys.stderr,
        )


def check_device(device):
    """Refuse a ``--device`` that torch cannot use here, before any work."""
    from ..gan._device import unreachable

    try:
        reason = unreachable(device)
    except RuntimeError as error:  # torch cannot parse the name
        raise CLIError(f"--device {device}: {error}") from error
    if reason:
        raise CLIError(
            f"--device {device}: {reason}. Use --device cpu, or --device auto to use "
            "a GPU only when there is one."
        )


def make_sampler(args, sensitive, strategy):
    """Build a FairGANSampler from the command-line options."""
    from ..sampler import FairGANSampler

    return FairGANSampler(
        sensitive=sensitive,
        sampling_strategy=strategy,
        parity_strength=args.parity_strength,
        boundary_focus=args.boundary_focus,
        copy_share=args.copy_share,
        keep_real=args.keep_real,
        label_fairness=args.label_fairness,
        lambda_fair="auto" if args.lambda_fair is None else args.lambda_fair,
        epochs="auto" if args.epochs is None else args.epochs,
        batch_size="auto" if args.batch_size is None else args.batch_size,
        device=args.device,
        random_state=args.seed,
        verbose=0 if args.quiet else 1,
    )


def fit_resample(sampler, X, y):
    """Fit and resample, then stop if Ctrl-C cut training short."""
    X_res, y_res = sampler.fit_resample(X, y)
    raise_if_interrupted()
    return X_res, y_res


def with_target(X, y, target, position=None):
    """Put the labels back into the table as column ``target``."""
    table = X.copy()
    table.insert(len(table.columns) if position is None else position, target, y)
    return table


def added_rows(cell_counts):
    """Describe the rows a resample added: generated ones, then copies of real ones."""
    generated, copied = cell_counts["n_generated"].sum(), cell_counts["n_copied"].sum()
    return f"{generated} generated" + (f", {copied} copied" if copied else "")


def drop_columns(frame, args, path):
    """Drop ``--drop`` columns; refuse columns a generator should not learn."""
    from ..sampler._risky_columns import describe, risky_columns

    check_columns(frame, args.drop, path, "--drop")
    if kept := set(args.drop) & {args.target, *args.sensitive}:
        raise CLIError(
            f"--drop names {sorted(kept)}, the target or a sensitive column."
        )
    frame = frame.drop(columns=args.drop)
    risky = risky_columns(frame, exclude=[args.target, *args.sensitive])
    if risky and not args.keep_all:
        raise CLIError(
            f"{path}: columns a generator should not learn: {describe(risky)}. Drop "
            f"them with --drop {' '.join(map(str, risky))}, or pass --keep-all to "
            "keep them."
        )
    return frame


def resample(args):
    """Fit a sampler on a table and write the resampled table."""
    check_device(args.device)
    check_table_output(args.output, force=args.force, inputs=[args.data])
    if args.save_model:
        check_output(args.save_model, force=args.force, inputs=[args.data])
    frame = load_labelled(args.data, args.target, args.sensitive)
    if args.mark_origin and ORIGIN_COLUMN in frame.columns:
        raise CLIError(
            f"{args.data}: already has a {ORIGIN_COLUMN} column, which "
            "--mark-origin would write; rename it, or leave out --mark-origin."
        )
    frame = bin_columns(drop_columns(frame, args, args.data), args.bins, args.data)
    strategy = parse_strategy(args.strategy, frame, args.sensitive, args.target)
    X, y = frame.drop(columns=args.target), frame[args.target]
    sampler = make_sampler(args, args.sensitive, strategy)
    epochs = (
        "default training" if args.epochs is None else f"at most {args.epochs} epochs"
    )
    if not main_process():
        # A process that torchrun started besides rank 0 trains its share, quietly.
        sampler.set_params(verbose=0).fit(X, y)
        return
    say(f"Fitting FairGANSampler on {len(frame)} rows ({epochs})")
    X_res, y_res = fit_resample(sampler, X, y)
    position = list(frame.columns).index(args.target)
    table = with_target(X_res, y_res, args.target, position)
    if args.mark_origin:
        table[ORIGIN_COLUMN] = sampler.row_origin_
    write_table(table, args.output)
    say(sampler.cell_counts_.to_string(index=False))
    say(
        f"Wrote {len(X_res)} rows ({added_rows(sampler.cell_counts_)}) to {args.output}"
    )
    keys = [*args.sensitive, args.target]
    shift = side_effects(frame, table, sampler.row_origin_, keys)
    if shift is not None and len(shift):
        say(
            "Categorical columns of the generated rows against the real rows of "
            "their cells (total variation of the shares, 0 = alike):"
        )
        say(shift.head(SHIFT_ROWS).round(3).to_string())
        warn_side_effects(shift)
    if args.save_model:
        save_model(sampler, args.save_model)
        say(f"Saved the model to {args.save_model}")


def main_process():
    """Whether this process writes: the only one, or ``torchrun``'s rank 0."""
    return int(os.environ.get("RANK", "0")) == 0


def parse_groups(items, sampler):
    """``["sex=Female"]`` as ``{"sex": "Female"}`` in the model's value types."""
    groups = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        if not sep:
            raise CLIError(f"--group {item!r}: write it as COLUMN=VALUE.")
        column = match_value(
            name, sampler.sensitive_, "a sensitive column of the model"
        )
        values = sampler.sensitive_values_[sampler.sensitive_.index(column)]
        groups[column] = match_value(text, values, f"a group of {column!r}")
    return groups


def sample(args):
    """Generate rows from a saved sampler and write them, a chunk at a time."""
    check_table_output(args.output, force=args.force, inputs=[args.model])
    if args.n <= 0:
        raise CLIError(f"-n must be a positive number of rows; got {args.n}.")
    sampler = load_model(args.model)
    groups = parse_groups(args.group, sampler)
    label = None
    if args.label is not None:
        label = match_value(
            args.label, sampler.classes_.tolist(), "a class of the model"
        )
    options = {"groups": groups or None, "y": label, "seed": args.seed}
    if table_format(args.output) == "parquet":
        sampler.sample_to_parquet(
            args.output, args.n, chunk_rows=SAMPLE_CHUNK, progress=not args.quiet,
            **options,
        )  # fmt: skip
    else:
        write_csv_chunks(sampler, args.output, args.n, quiet=args.quiet, **options)
    say(f"Wrote {args.n} generated rows to {args.output}")


def report(args):
    """Compare a generated table with a real one and write the HTML report."""
    from ..report import write_report

    check_report_dir(args.out, force=args.force)
    real = load_labelled(args.real, args.target, args.sensitive)
    marked = load_labelled(args.synthetic, args.target, args.sensitive)
    table = marked.drop(columns=ORIGIN_COLUMN, errors="ignore")
    dropped = check_same_columns(
        table, args.synthetic, real, args.real, allow_missing=True
    )
    real = real.drop(columns=dropped)
    origin = row_origins(real, marked)
    table = table[real.columns]
    counts = {kind: int((origin == kind).sum()) for kind in ORIGINS}
    models = load_models(args)
    say(
        f"{args.synthetic}: {counts['real']} real rows, {counts['copied']} copies of "
        f"real rows, {counts['generated']} generated rows"
    )
    path = write_report(
        args.out,
        "fairsynth report",
        report_sections(args, real, table, origin, *models),
        force=args.force,
        intro=f"Real: {args.real}. Resampled: {args.synthetic}, with "
        f"{counts['real']} real rows, {counts['copied']} copies of real rows and "
        f"{counts['generated']} generated rows; the generated rows alone are "
        "compared with the real ones." + report_provenance(args, dropped, *models),
    )
    say(f"Wrote the report to {path}")


def report_provenance(args, dropped, sampler, classifier):
    """Sentences naming the columns left out and the models behind the report."""
    text = ""
    if dropped:
        text += (
            f" Columns of {args.real} that the resampled table lacks, left out of "
            f"every comparison (dropped before training): {', '.join(dropped)}."
        )
    if sampler is not None:
        text += f" Generator: {sampler!r}, from {args.model}."
    if classifier is not None:
        text += f" Classifier: {classifier!r}, from {args.classifier}."
    return text


def report_sections(args, real, table, origin, sampler, classifier):
    """Build the report's sections: rates, generated rows, training, flip rates."""
    from ..report import (
        counterfactual_section,
        fidelity_section,
        rates_section,
        shift_section,
        training_section,
    )

    series = {
        "real": (real[args.target], None, real),
        "resampled": (table[args.target], None, table),
    }
    pos_label = positive_label(real, args.target, args.pos_label)
    sections = [
        rates_section(
            "Group base rates",
            "base_rates",
            series,
            args.sensitive,
            title="Share of positive labels per group",
            pos_label=pos_label,
        ),
    ]
    generated = table[origin == "generated"].reset_index(drop=True)
    if len(generated):
        keys = [*args.sensitive, args.target]
        sections.append(
            fidelity_section(real, generated, random_state=args.seed, keys=keys)
        )
        shift = side_effects(real, table, origin, keys)
        if len(shift):
            sections.append(shift_section(shift))
            warn_side_effects(shift)
    mixing = mixing_sections(classifier)
    # A DrFairnessClassifier alone shows its ratios; flip rates need --model.
    flips = None
    if sampler or not mixing:
        flips = counterfactual_audit(args, sampler, classifier, real)
    if sampler is not None:
        sections.append(training_section(sampler.net_.history))
    if flips is not None:
        sections.append(counterfactual_section(flips))
    return sections + mixing


def mixing_sections(classifier):
    """Return the section of ``--classifier``'s ratios, if a DrFairnessClassifier."""
    from ..report import mixing_model, mixing_section

    if classifier is None or mixing_model(classifier) is None:
        return []
    return [mixing_section(classifier)]


def check_report_dir(out_dir, *, force):
    """Refuse, before any work, a report folder that holds an earlier report."""
    path = Path(out_dir)
    if path.exists() and not path.is_dir():
        raise CLIError(f"{path}: is a file, not a folder for the report.")
    if (path / "report.html").exists() and not force:
        raise CLIError(
            f"{path / 'report.html'}: already exists; pass --force to overwrite it."
        )
