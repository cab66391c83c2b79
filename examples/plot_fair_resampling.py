"""
Resample Adult with FairGANSampler
==================================

Add generated rows so that women and men have the same share of high incomes in the
training data, then compare a model trained with and without them. A subsample and
a few epochs keep this under a minute on a CPU; see ``benchmarks/`` for full runs.
"""

# %%
import matplotlib.pyplot as plt
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from fairsynth import FairGANSampler
from fairsynth.datasets import load_adult
from fairsynth.metrics import demographic_parity_difference, label_risk_difference

X, y = load_adult(subset="train", return_X_y=True)
X, y = X.sample(6000, random_state=0), y.sample(6000, random_state=0)
X_test, y_test = load_adult(subset="test", return_X_y=True)

sampler = FairGANSampler(
    sensitive="sex", sampling_strategy="parity", epochs=4, random_state=0, verbose=1
)
X_res, y_res = sampler.fit_resample(X, y)
print(sampler.cell_counts_)
print(
    "label risk difference before:",
    label_risk_difference(y, sensitive_features=X["sex"]),
)
print(
    "label risk difference after: ",
    label_risk_difference(y_res, sensitive_features=X_res["sex"]),
)

# %%
# The model never sees 'sex': it is not among the encoded columns.
categorical = [
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "native_country",
    "race",
]
numeric = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]


def fit_model(features, labels):
    encode = ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
            ("numeric", StandardScaler(), numeric),
        ]
    )
    return make_pipeline(encode, LogisticRegression(max_iter=1000)).fit(
        features, labels
    )


results = {}
for name, (features, labels) in {"real": (X, y), "resampled": (X_res, y_res)}.items():
    y_pred = fit_model(features, labels).predict(X_test)
    results[name] = {
        "accuracy": (y_pred == y_test).mean(),
        "dp_difference": demographic_parity_difference(
            y_test, y_pred, sensitive_features=X_test["sex"]
        ),
    }
results = pd.DataFrame(results).T
print(results)

# %%
# The generator learns each cell's rows by likelihood: ``train_loss``, and
# ``valid_loss`` on rows held out of every cell, are negative log-likelihoods in nats
# per row. Its last epoch plays against a critic, whose loss is ``critic_loss``. The
# fairness adversary stays off, since real rows are kept (see ``lambda_fair``).
history = pd.DataFrame(sampler.net_.history.to_list()).set_index("epoch")
fig, (likelihood, critic) = plt.subplots(1, 2, figsize=(9, 3.5))
history[["train_loss", "valid_loss"]].plot(ax=likelihood, marker="o")
likelihood.set(title="Likelihood", xlabel="epoch", ylabel="nats per row")
history["critic_loss"].plot(ax=critic, marker="o")
critic.set(title="Critic", xlabel="epoch", ylabel="critic loss")
plt.tight_layout()
plt.show()
