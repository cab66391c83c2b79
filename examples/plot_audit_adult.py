"""
Audit the bias of UCI Adult
===========================

How often does each group earn more than $50K, in the data and in the predictions
of a model that never sees the sensitive columns?
"""

# %%
import matplotlib.pyplot as plt
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from fairsynth.datasets import load_adult
from fairsynth.metrics import demographic_parity_difference, group_report

X, y = load_adult(subset="train", return_X_y=True)
X_test, y_test = load_adult(subset="test", return_X_y=True)

# %%
# The labels themselves: base rates per group and per intersection.
print(group_report(y, sensitive_features=X["sex"]))
print(group_report(y, sensitive_features=X[["sex", "race"]]))

# %%
# A model that does not see 'sex' or 'race' still treats the groups differently.
categorical = [
    "workclass",
    "education",
    "marital_status",
    "occupation",
    "relationship",
    "native_country",
]
numeric = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
features = ColumnTransformer(
    [
        ("categorical", OneHotEncoder(handle_unknown="ignore"), categorical),
        ("numeric", StandardScaler(), numeric),
    ]
)
model = make_pipeline(features, LogisticRegression(max_iter=1000)).fit(X, y)
y_pred = model.predict(X_test)
report = group_report(y_test, y_pred, sensitive_features=X_test["sex"])
print(report)
print(
    "demographic parity difference:",
    demographic_parity_difference(y_test, y_pred, sensitive_features=X_test["sex"]),
)

# %%
rates = report.loc["group", ["base_rate", "selection_rate"]]
ax = rates.plot.bar(rot=0, title="Adult test: share above $50K, true and predicted")
ax.set_xlabel("sex")
ax.set_ylabel("share of rows")
plt.tight_layout()
plt.show()
