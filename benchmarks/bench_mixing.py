"""Adaptive mixing of real and generated rows: Dr-Fairness and FairBatch.

On Adult (sex; race), COMPAS (race) and German credit (sex), every model is the
same network (32-32-32 ReLU, dropout 0.2, Adam 1e-3, batches of 128) trained for
the same number of epochs on the task (enough for about 2,500 steps, at least
10 epochs, at most 100):

* the network on real rows only (plain shuffled batches);
* ``DrFairnessClassifier(mode="fixed", lambda_init="parity")``: real and
  generated rows at fixed parity ratios (half of every cell generated);
* ``mode="fixed"`` with the default ``lambda_init="data"``: the ratios
  Dr-Fairness starts from (the cells' shares, half of every cell generated);
* ``mode="fairbatch"``: real rows, λ moved toward the worse-off group once per
  epoch (the paper's step, 0.005);
* ``mode="drfairness"``: λ and μ learned by the hypergradient, with the
  paper's ``k=20`` and with ``k=1`` (less weight on the loss term), and with
  ``k=20`` and ``hypergradient_sample="all"`` (the hypergradient measured on
  every validation and training row at every update, instead of a validation
  batch and small probes of the pools: exact, and slow);
* fairlearn's ``ExponentiatedGradient(EqualizedOdds())`` around the network
  (trained with sample weights);
* ``AdversarialFairClassifier(constraint="equalized_odds")`` with the same
  hidden layers (its own schedule).

The generated rows come from one ``FairGANSampler`` per task (default settings),
as many per cell as the cell has real rows; its fit time is reported apart. The
paper's claim is tested on Adult sex: the generated rows of one cell are
corrupted (each column's values redrawn from all generated rows, or shuffled
within the cell), and the cell's final μ is compared with the clean cells', with
the default hypergradient and with the one measured on all rows.

The cost of an epoch is measured on Adult sex, one thread: 2-epoch fits of the
plain network (skorch's default loader, and a loop over shuffled tensors), and
of the classifier in each mode, in alternating order, 3 rounds; the second
epoch's time is kept (the first warms up), and the median taken.

Run ``OMP_NUM_THREADS=1 python benchmarks/bench_mixing.py [--quick] [--seed 0]
[--device auto]``. Writes benchmarks/results/mixing[_quick][_seedN].{json,md}
after each task (no suffix for seed 0).
"""

import math
import time

import _baselines as base
import numpy as np
import pandas as pd
import torch
from _common import evaluate, parser, write_results
from _tasks import load_tasks
from fairlearn.reductions import EqualizedOdds, ExponentiatedGradient
from sklearn.base import BaseEstimator, ClassifierMixin
from skorch import NeuralNetBinaryClassifier

from fairsynth import AdversarialFairClassifier, DrFairnessClassifier, FairGANSampler
from fairsynth.adversarial import _input
from fairsynth.adversarial._modules import Predictor
from fairsynth.gan import resolve_device, seeded

HIDDEN, DROPOUT, BATCH, LR = (32, 32, 32), 0.2, 128, 1e-3
TASKS = [("adult", "sex"), ("adult", "race"), ("compas", "race"), ("german", "sex")]
QUICK_TASKS = [("adult", "sex"), ("german", "sex")]
TARGET_STEPS = 2500


class PlainNetwork(ClassifierMixin, BaseEstimator):
    """The benchmark's network on real rows: shuffled batches, weighted loss.

    Reads the sensitive column from X and drops it; takes ``sample_weight``
    (for ExponentiatedGradient). ``epoch_seconds_`` times each epoch.
    """

    def __init__(self, sensitive, max_epochs=10, random_state=0, device="cpu"):
        self.sensitive = sensitive
        self.max_epochs = max_epochs
        self.random_state = random_state
        self.device = device

    def fit(self, X, y, sample_weight=None):
        """Train the network for ``max_epochs`` epochs."""
        features, _ = _input.split_sensitive(X, [self.sensitive])
        self.encoder_ = _input.make_encoder(features).fit(features)
        self.classes_, codes = np.unique(np.asarray(y), return_inverse=True)
        X_t = self._tensor(features)
        y_t = torch.as_tensor(codes, dtype=torch.float32, device=self.device)
        weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
        w_t = torch.as_tensor(weight / weight.mean(), dtype=torch.float32).to(y_t)
        with seeded(self.random_state, self.device):
            self.module_ = Predictor(X_t.shape[1], HIDDEN, DROPOUT).to(self.device)
            optimizer = torch.optim.Adam(self.module_.parameters(), lr=LR)
            self.epoch_seconds_ = [
                self._epoch(X_t, y_t, w_t, optimizer) for _ in range(self.max_epochs)
            ]
        return self

    def _epoch(self, X_t, y_t, w_t, optimizer):
        start = time.perf_counter()
        self.module_.train()
        for index in torch.randperm(len(X_t)).to(self.device).split(BATCH):
            optimizer.zero_grad()
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                self.module_(X_t[index]), y_t[index], weight=w_t[index]
            )
            loss.backward()
            optimizer.step()
        return time.perf_counter() - start

    def _tensor(self, features):
        array = np.asarray(self.encoder_.transform(features), dtype=np.float32)
        return torch.as_tensor(array, device=self.device)

    @torch.no_grad()
    def predict_proba(self, X):
        """Probabilities of ``classes_``."""
        features, _ = _input.split_sensitive(X, [self.sensitive])
        self.module_.eval()
        proba = torch.sigmoid(self.module_(self._tensor(features))).cpu().numpy()
        return np.column_stack([1 - proba, proba]).astype(np.float64)

    def predict(self, X):
        """Predicted classes."""
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


def epochs_for(n_rows):
    """Epochs that give about TARGET_STEPS steps, from 10 to 100."""
    return int(min(100, max(10, math.ceil(TARGET_STEPS / math.ceil(n_rows / BATCH)))))


def generated_table(task, args):
    """One FairGANSampler per task; as many generated rows per cell as real ones."""
    gan = {"epochs": 2} if args.quick else {}
    sampler = FairGANSampler(
        sensitive=task.attribute, random_state=args.seed, device=args.device, **gan
    )
    start = time.perf_counter()
    sampler.fit(task.X, task.y)
    fit_seconds = time.perf_counter() - start
    counts = pd.crosstab(task.X[task.attribute], task.y)
    parts = [
        sampler.sample(int(counts.loc[g, c]), groups={task.attribute: g}, y=c)
        for g in counts.index
        for c in counts.columns
        if counts.loc[g, c]
    ]
    X_gen = pd.concat([p[0] for p in parts], ignore_index=True)
    y_gen = pd.concat([p[1] for p in parts], ignore_index=True)
    return base.fill_missing(X_gen), y_gen, fit_seconds


def corrupt(X_gen, y_gen, attribute, cell, how, seed):
    """Corrupt one cell's generated rows: each column redrawn or shuffled."""
    rng = np.random.RandomState(seed)
    X_bad = X_gen.copy()
    rows = np.flatnonzero(
        (X_gen[attribute].astype(str) == str(cell[0])).to_numpy()
        & (y_gen.to_numpy() == cell[1])
    )
    for column in X_gen.columns.drop(attribute):
        if how == "within":
            source = rng.permutation(rows)
        else:
            source = rng.choice(len(X_gen), len(rows))
        X_bad.loc[rows, column] = X_gen[column].to_numpy()[source]
    return X_bad


def mixer(mode, task, generator, epochs, args, **params):
    """The classifier in one mode, with the benchmark's network."""
    return DrFairnessClassifier(
        sensitive=task.attribute,
        generator=generator,
        mode=mode,
        hidden_layer_sizes=HIDDEN,
        dropout=DROPOUT,
        batch_size=BATCH,
        lr=LR,
        max_epochs=epochs,
        device=args.device,
        random_state=args.seed,
        **params,
    )


def models(task, generator, epochs, args):
    """The compared models, by name."""
    plain = PlainNetwork(task.attribute, epochs, args.seed, resolve_device(args.device))
    eg = ExponentiatedGradient(
        PlainNetwork(task.attribute, epochs, args.seed, resolve_device(args.device)),
        constraints=EqualizedOdds(),
        sample_weight_name="sample_weight",
    )
    return {
        "network, real rows": plain,
        "real + generated, fixed parity ratios": mixer(
            "fixed", task, generator, epochs, args, lambda_init="parity"
        ),
        "real + generated, fixed data ratios (Dr-Fairness's start)": mixer(
            "fixed", task, generator, epochs, args
        ),
        "FairBatch": mixer("fairbatch", task, None, epochs, args),
        "Dr-Fairness (k=20)": mixer("drfairness", task, generator, epochs, args),
        "Dr-Fairness (k=1)": mixer("drfairness", task, generator, epochs, args, k=1.0),
        "Dr-Fairness (k=20), hypergradient on all rows": mixer(
            "drfairness", task, generator, epochs, args, hypergradient_sample="all"
        ),
        "ExponentiatedGradient(EqualizedOdds), network": base.FairlearnModel(
            eg, task.attribute, random_state=args.seed
        ),
        "AdversarialFairClassifier(equalized_odds)": AdversarialFairClassifier(
            sensitive=task.attribute,
            constraint="equalized_odds",
            hidden_layer_sizes=HIDDEN,
            device=args.device,
            random_state=args.seed,
        ),
    }


def mu_text(model):
    """Final μ per cell as ``group/class=μ``."""
    if not hasattr(model, "mu_"):
        return ""
    stacked = model.mu_.stack()
    return "; ".join(f"{g}/{c}={v:.2f}" for (g, c), v in stacked.items())


def score(name, model, task, X, X_test, extra=None):
    """Fit, time and score one model; one result row."""
    start = time.perf_counter()
    model.fit(X, task.y)
    seconds = time.perf_counter() - start
    row = {
        "task": f"{task.dataset} {task.attribute}",
        "model": name,
        **evaluate(model, X_test, task.y_test, task.attribute),
        "fit_seconds": round(seconds, 2),
        "final_mu": mu_text(model),
        **(extra or {}),
    }
    print(row, flush=True)
    return row


def corrupted_rows(task, X, X_test, X_gen, y_gen, epochs, args):
    """Dr-Fairness (k=20) with the generated rows of the smallest cell corrupted."""
    counts = pd.crosstab(task.X[task.attribute], task.y).stack()
    cell = counts.idxmin()
    corrupted = {
        how: corrupt(X_gen, y_gen, task.attribute, cell, how, args.seed)
        for how in ("redrawn", "within")
    }
    rows = []
    for sample, suffix in (("batch", ""), ("all", ", hypergradient on all rows")):
        for how, X_bad in corrupted.items():
            model = mixer(
                "drfairness",
                task,
                (X_bad, y_gen),
                epochs,
                args,
                hypergradient_sample=sample,
            )
            name = f"Dr-Fairness, cell {cell[0]}/{cell[1]} corrupted ({how}){suffix}"
            row = score(name, model, task, X, X_test)
            mu = model.mu_.stack()
            row["corrupted_cell_mu"] = float(mu.loc[cell])
            row["clean_cells_max_mu"] = float(mu.drop(index=cell).max())
            rows.append(row)
    return rows


def epoch_cost(task, X, X_gen, y_gen, args, rounds=3):
    """Seconds of the second epoch of each configuration, median of ``rounds``."""
    features, _ = _input.split_sensitive(X, [task.attribute])
    encoded = np.asarray(
        _input.make_encoder(features).fit_transform(features), dtype=np.float32
    )
    labels = task.y.to_numpy().astype(np.float32)
    configs = {
        "plain network, skorch loader": lambda: _skorch_epochs(encoded, labels, args),
        "plain network, tensor loop": lambda: (
            PlainNetwork(task.attribute, 2, args.seed, resolve_device(args.device))
            .fit(X, task.y)
            .epoch_seconds_
        ),
        **{
            f"DrFairnessClassifier({mode})": _mixer_epochs(
                mode, task, X, (X_gen, y_gen), args
            )
            for mode in ("fixed", "fairbatch", "drfairness")
        },
    }
    seconds = {name: [] for name in configs}
    for round_ in range(rounds):
        names = list(configs)[:: 1 if round_ % 2 == 0 else -1]
        for name in names:
            seconds[name].append(configs[name]()[1])
    return {name: float(np.median(values)) for name, values in seconds.items()}


def _skorch_epochs(encoded, labels, args):
    net = NeuralNetBinaryClassifier(
        Predictor,
        module__n_features=encoded.shape[1],
        module__hidden_layer_sizes=HIDDEN,
        module__dropout=DROPOUT,
        max_epochs=2,
        batch_size=BATCH,
        lr=LR,
        optimizer=torch.optim.Adam,
        train_split=None,
        iterator_train__shuffle=True,
        device=resolve_device(args.device),
        verbose=0,
    )
    with seeded(args.seed, net.device):
        net.fit(encoded, labels)
    return net.history[:, "dur"]


def _mixer_epochs(mode, task, X, generator, args):
    def run():
        model = mixer(mode, task, generator, 2, args).fit(X, task.y)
        return model.history_[:, "dur"]

    return run


def run_task(task, args, rows, extra):
    """All rows of one task."""
    if args.quick:
        keep = task.X.sample(min(len(task.X), 8000), random_state=args.seed).index
        task.X, task.y = task.X.loc[keep], task.y.loc[keep]
    X, X_test = base.fill_missing(task.X), base.fill_missing(task.X_test)
    X_gen, y_gen, gan_seconds = generated_table(task, args)
    epochs = 5 if args.quick else epochs_for(len(X))
    info = {"gan_fit_seconds": round(gan_seconds, 1), "epochs": epochs}
    first = (task.dataset, task.attribute) == ("adult", "sex")
    if first:
        extra["epoch_seconds_adult_sex"] = epoch_cost(task, X, X_gen, y_gen, args)
        print(extra["epoch_seconds_adult_sex"], flush=True)
    for name, model in models(task, (X_gen, y_gen), epochs, args).items():
        rows.append(score(name, model, task, X, X_test, info))
    if first:
        rows += corrupted_rows(task, X, X_test, X_gen, y_gen, epochs, args)


def main():
    """Run every task and write the results after each."""
    args = parser(__doc__.splitlines()[0]).parse_args()
    torch.set_num_threads(1)
    name = ("mixing_quick" if args.quick else "mixing") + (
        f"_seed{args.seed}" if args.seed else ""
    )
    rows, extra = [], {}
    tasks = {(t.dataset, t.attribute): t for d in ("adult", "compas", "german")
             for t in load_tasks(d)[0]}  # fmt: skip
    for key in QUICK_TASKS if args.quick else TASKS:
        if key not in tasks:
            print(f"{key} skipped: data not found", flush=True)
            continue
        run_task(tasks[key], args, rows, extra)
        write_results(name, rows, notes(args, extra), extra=extra)


def notes(args, extra):
    """How the run was made, and the epoch costs."""
    lines = [
        f"Seed {args.seed}; one thread (torch.set_num_threads(1)); device "
        f"{resolve_device(args.device)}; {'quick run' if args.quick else 'full run'}.",
        "Same network (32-32-32 ReLU, dropout 0.2, Adam 1e-3, batch 128) in every "
        "row; epochs per task in the 'epochs' column; the adversarial classifier "
        "keeps its own schedule. Generated rows: one FairGANSampler per task "
        "(fit time in 'gan_fit_seconds', not in 'fit_seconds').",
        "Dr-Fairness: k=20, Adam 0.005 on the ratio logits, hypergradient on the "
        "last layer with the identity for the inverse Hessian, one update per "
        "batch, measured on a validation batch and small probes of the pools "
        "('hypergradient on all rows': on every validation and training row); "
        "FairBatch alpha 0.005 per epoch (λ moves at the start of each "
        "epoch, on every validation row, one label at a time for equalized odds).",
    ]
    cost = extra.get("epoch_seconds_adult_sex")
    if cost:
        plain = cost["plain network, skorch loader"]
        loop = cost["plain network, tensor loop"]
        lines.append(
            "Epoch on Adult sex (second epoch, median of 3 alternating rounds): "
            + "; ".join(
                f"{k} {v:.2f} s ({v / plain:.2f}x skorch loader, {v / loop:.2f}x "
                "tensor loop)"
                for k, v in cost.items()
            )
        )
    return lines


if __name__ == "__main__":
    main()
