"""The Bunch that every loader returns."""

from sklearn.utils import Bunch


def make_bunch(frame, *, target, sensitive, descr, return_X_y, as_frame):
    """Split a tidy frame into features and target, as a Bunch or ``(X, y)``."""
    X, y = frame.drop(columns=target), frame[target]
    if not as_frame:
        X, y = X.to_numpy(dtype=object), y.to_numpy()
    if return_X_y:
        return X, y
    return Bunch(
        frame=frame if as_frame else None,
        data=X,
        target=y,
        feature_names=[name for name in frame.columns if name != target],
        target_names=[target],
        sensitive=list(sensitive),
        DESCR=descr,
    )
