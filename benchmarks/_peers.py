"""The generators that bench_generators.py compares, behind one interface.

Each runner fits on a training table (label included as a column) within a time
budget where it takes one, and generates as many rows as it was given. Peers are
benchmark-only packages (the ``bench`` extra): ctgan, arfpy, mostlyai-engine.
"""

import math
import tempfile
import time

import pandas as pd

from fairsynth import FairGANSampler


def _table_types(frame, target):
    """Peers get categories, and the label, as text; they give back what they like.

    A label left as an integer is a number to some peers (ARF drew -1 and 2).
    """
    text = [*frame.select_dtypes(["category", "string"]).columns, target]
    return frame.astype(dict.fromkeys(text, str))


def _restore_types(synthetic, like):
    """Give generated columns the real table's dtypes and categories."""
    out = {}
    for name, dtype in like.dtypes.items():
        column = synthetic[name]
        if isinstance(dtype, pd.CategoricalDtype):
            categories = pd.Series(dtype.categories)
            # Text back to the categories it was made from.
            lookup = dict(zip(categories.astype(str), categories, strict=True))
            out[name] = pd.Categorical(column.astype(str).map(lookup), dtype=dtype)
        elif pd.api.types.is_integer_dtype(dtype):
            out[name] = pd.to_numeric(column, errors="coerce").round().astype(dtype)
        else:
            out[name] = column.astype(dtype)
    return pd.DataFrame(out)


def fairsynth(train, target, sensitive, *, seconds, seed, device, **params):
    """FairGANSampler at its defaults; rows in the real cell proportions."""
    X, y = train.drop(columns=target), train[target]
    sampler = FairGANSampler(
        sensitive=sensitive, random_state=seed, device=device, **params
    )
    start = time.perf_counter()
    sampler.fit(X, y)
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    cells = sampler.cell_counts_
    parts = [
        sampler.sample(int(n_real), groups={sensitive: group}, y=label)
        for group, label, n_real in zip(
            cells["group"], cells["class"], cells["n_real"], strict=True
        )
    ]
    sample_seconds = time.perf_counter() - start
    synthetic = pd.concat(
        [X_new.assign(**{target: y_new.to_numpy()}) for X_new, y_new in parts],
        ignore_index=True,
    )
    history = sampler.net_.history
    info = {"epochs": len(history), "best_valid_loss": min(history[:, "valid_loss"])}
    return synthetic, fit_seconds, sample_seconds, info


def _fit_ctgan_like(model_class, train, target, seconds, seed, device):
    """Fit CTGAN or TVAE with its epochs set to fit in ``seconds`` (300 without).

    Returns the model, its fit seconds and ``info`` (epochs, and the time 300
    epochs would take).
    """
    import torch

    torch.manual_seed(seed)
    table = _table_types(train, target)
    discrete = list(table.select_dtypes(["object", "string"]).columns)
    gpu = device != "cpu"
    per_epoch, prepare = _epoch_seconds(model_class, table, discrete, gpu)
    epochs = 300 if seconds is None else max(1, int((seconds - prepare) / per_epoch))
    model = model_class(epochs=epochs, enable_gpu=gpu)
    start = time.perf_counter()
    model.fit(table, discrete)
    fit_seconds = time.perf_counter() - start
    info = {
        "epochs": epochs,
        "default_300_epoch_seconds": prepare
        + 300 * (fit_seconds - prepare) / max(epochs, 1),
    }
    return model, fit_seconds, info


def _ctgan_like(model_class, train, target, seconds, seed, device):
    """CTGAN or TVAE, time-matched; as many rows as ``train``."""
    model, fit_seconds, info = _fit_ctgan_like(
        model_class, train, target, seconds, seed, device
    )
    start = time.perf_counter()
    synthetic = model.sample(len(train))
    sample_seconds = time.perf_counter() - start
    return _restore_types(synthetic, train), fit_seconds, sample_seconds, info


def cells_table(name, train, target, cells, *, seconds, seed, device, rounds=20):
    """CTGAN or TVAE (``name``), time-matched, with ``cells[key]`` rows per cell.

    A cell's key is its values of the columns ``cells.index.names`` (sensitive
    columns and ``target``), as text. Rows are drawn from the model's joint
    distribution and kept in the cells that still need rows, which gives each cell
    the model's conditional distribution; a cell not filled within ``rounds``
    draws of ``len(train)`` rows stays short. Returns the table, the fit seconds
    and the rows missing.
    """
    from ctgan import CTGAN, TVAE

    model_class = {"ctgan": CTGAN, "tvae": TVAE}[name]
    model, fit_seconds, _ = _fit_ctgan_like(
        model_class, train, target, seconds, seed, device
    )
    columns = list(cells.index.names)
    need = cells.copy()
    kept = []
    for _ in range(rounds):
        if not need.any():
            break
        batch = model.sample(len(train))
        keys = batch[columns].astype(str)
        rank = keys.groupby(columns).cumcount().to_numpy()
        wanted = need.reindex(pd.MultiIndex.from_frame(keys), fill_value=0)
        chosen = rank < wanted.to_numpy()
        kept.append(batch[chosen])
        got = keys[chosen].groupby(columns).size()
        need = need.sub(got.reindex(need.index, fill_value=0)).clip(lower=0)
    table = _restore_types(pd.concat(kept, ignore_index=True), train)
    return table, fit_seconds, int(need.sum())


def _epoch_seconds(model_class, table, discrete, gpu):
    """Seconds an epoch takes, and the data preparation (its Gaussian mixtures).

    Two fits, of 1 and of k epochs, time them; k grows until the longer fit takes
    twice the shorter, so that their difference measures epochs, not noise.
    """

    def fit_seconds(epochs):
        start = time.perf_counter()
        model_class(epochs=epochs, enable_gpu=gpu).fit(table, discrete)
        return time.perf_counter() - start

    one, epochs = fit_seconds(1), 3
    more = fit_seconds(epochs)
    while more < 2 * one and epochs < 243:
        epochs *= 3
        more = fit_seconds(epochs)
    per_epoch = max((more - one) / (epochs - 1), 1e-3)
    return per_epoch, max(one - per_epoch, 0.0)


def ctgan(train, target, sensitive, *, seconds, seed, device):
    """CTGAN (the ``ctgan`` package), time-matched; its defaults without a cap."""
    from ctgan import CTGAN

    return _ctgan_like(CTGAN, train, target, seconds, seed, device)


def tvae(train, target, sensitive, *, seconds, seed, device):
    """TVAE (the ``ctgan`` package), time-matched; its defaults without a cap."""
    from ctgan import TVAE

    return _ctgan_like(TVAE, train, target, seconds, seed, device)


def arf(train, target, sensitive, *, seconds, seed, device):
    """Adversarial random forests (``arfpy``) at their defaults; they take no cap."""
    import numpy as np

    if not hasattr(np, "in1d"):
        # arfpy 0.1.1 calls in1d, which numpy 2.4 removed.
        np.in1d = lambda a, b: np.isin(a, b).ravel()  # noqa: NPY201
    from arfpy import arf as arfpy

    np.random.seed(seed)  # noqa: NPY002 (arfpy draws from numpy's global generator)
    table = _table_types(train, target)
    start = time.perf_counter()
    model = arfpy.arf(x=table, verbose=False)
    model.forde()
    fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    synthetic = model.forge(n=len(train))
    sample_seconds = time.perf_counter() - start
    return _restore_types(synthetic, train), fit_seconds, sample_seconds, {}


def tabular_argn(train, target, sensitive, *, seconds, seed, device, fairness=False):
    """mostlyai-engine's TabularARGN with a training-time cap of ``seconds``.

    With ``fairness``, its fairness option makes the label's score distribution
    the same within every sensitive group at sampling time.
    """
    from mostlyai.engine import TabularARGN

    table = _table_types(train, target)
    minutes = None if seconds is None else seconds / 60
    with tempfile.TemporaryDirectory() as workspace:
        model = TabularARGN(
            max_training_time=minutes,
            random_state=seed,
            device=None if device == "auto" else device,
            workspace_dir=workspace,
        )
        start = time.perf_counter()
        model.fit(table)
        fit_seconds = time.perf_counter() - start
        columns = [sensitive] if isinstance(sensitive, str) else list(sensitive)
        config = (
            {"target_column": target, "sensitive_columns": columns}
            if fairness
            else None
        )
        start = time.perf_counter()
        synthetic = model.sample(n_samples=len(train), fairness=config)
        sample_seconds = time.perf_counter() - start
    info = {"time_cap_minutes": None if minutes is None else round(minutes, 3)}
    return _restore_types(synthetic, train), fit_seconds, sample_seconds, info


RUNNERS = {
    "fairsynth": fairsynth,
    "ctgan": ctgan,
    "tvae": tvae,
    "arf": arf,
    "tabular_argn": tabular_argn,
}


def rows_per_second(n_rows, seconds):
    """Rows generated per second, rounded."""
    return round(n_rows / seconds) if seconds > 0 else math.inf
