"""Model files: save and load a fitted sampler without running code from the file."""

import builtins
import hashlib
import io
import json
import pickle
import zipfile

import numpy as np
import pandas as pd
import pandas.core.arrays.string_ as string_arrays
import pytest
import safetensors.torch
import torch
from _helpers import TINY_GAN
from sklearn.exceptions import NotFittedError

from fairsynth import FairGANSampler
from fairsynth.datasets import make_biased_classification
from fairsynth.sampler import _model_file as model_file
from fairsynth.sampler._model_state import ModelFileError


def tiny_sampler(**params):
    return FairGANSampler(**{**TINY_GAN, **params})


def likelihood_only(**params):
    """A sampler without the adversarial epoch, the slow part of a tiny fit."""
    return tiny_sampler(adversarial_epochs=0, **params)


@pytest.fixture(scope="module")
def biased():
    return make_biased_classification(300, bias=0.6, missing_rate=0.05, random_state=0)


@pytest.fixture(scope="module")
def fitted(biased):
    # Copies of real rows and boundary_focus, so that resample uses the ranker.
    return tiny_sampler(sensitive="group", copy_share=0.5).fit(*biased)


@pytest.fixture
def saved(fitted, tmp_path):
    path = tmp_path / "sampler.zip"
    fitted.save(path)
    return path


def assert_same_draws(first, second):
    (X_a, y_a), (X_b, y_b) = first, second
    pd.testing.assert_frame_equal(X_a, X_b)
    pd.testing.assert_series_equal(y_a, y_b)


# ------------------------------------------------------------------ round trip
def test_loaded_sampler_draws_the_rows_the_saved_one_draws(fitted, saved):
    loaded = FairGANSampler.load(saved)
    assert_same_draws(loaded.sample(60), fitted.sample(60))
    fixed = {"groups": {"group": "g1"}, "y": 1}
    assert_same_draws(loaded.sample(20, **fixed), fitted.sample(20, **fixed))


def test_loaded_sampler_resamples(biased, fitted, saved):
    loaded = FairGANSampler.load(saved)
    assert_same_draws(loaded.resample(*biased), fitted.resample(*biased))
    X_res, _ = loaded.set_params(parity_strength=2.0).resample(*biased)
    assert len(X_res) == loaded.resample_cell_counts_["n_total"].sum()
    with pytest.raises(ValueError, match="call fit_resample instead"):
        loaded.set_params(d_model=16).resample(*biased)


def test_fitted_attributes_come_back(fitted, saved):
    loaded = FairGANSampler.load(saved)
    assert loaded.get_params() == fitted.get_params()
    pd.testing.assert_frame_equal(loaded.cell_counts_, fitted.cell_counts_)
    assert loaded.sampling_strategy_ == fitted.sampling_strategy_
    np.testing.assert_array_equal(loaded.classes_, fitted.classes_)
    assert loaded.groups_ == fitted.groups_
    assert loaded.sensitive_values_ == fitted.sensitive_values_
    np.testing.assert_array_equal(loaded.feature_names_in_, fitted.feature_names_in_)
    assert loaded.tokenizer_.vocab_sizes_ == fitted.tokenizer_.vocab_sizes_
    assert loaded.net_.history.to_list() == fitted.net_.history.to_list()
    assert loaded.net_.batch_size == fitted.net_.batch_size
    assert loaded.net_.max_epochs == fitted.net_.max_epochs
    for name in ("module_", "generator_average_", "critic_", "adversary_"):
        state, original = (
            getattr(net, name).state_dict() for net in (loaded.net_, fitted.net_)
        )
        assert all(torch.equal(state[key], original[key]) for key in original)


def test_saving_a_loaded_sampler_gives_the_same_bytes(saved, tmp_path):
    again = tmp_path / "again.zip"
    FairGANSampler.load(saved).save(again)
    assert again.read_bytes() == saved.read_bytes()


@pytest.mark.parametrize(
    "case", ["numpy input", "two sensitive columns", "no sensitive column"]
)
def test_other_inputs_round_trip(case, tmp_path):
    X, y = make_biased_classification(200, n_groups=3, random_state=1)
    if case == "numpy input":
        X, y = X.to_numpy(), np.where(y == 1, "yes", "no").tolist()
        # A RandomState is shared by random_state and the fitted sampler.
        sampler = likelihood_only(sensitive=0, random_state=np.random.RandomState(3))
    elif case == "two sensitive columns":
        X = X.assign(
            band=np.where(X["num_0"] > 0, "high", "low"),
            label_of_cat=X["cat_0"].astype(str) + "!",  # derived from cat_0
            nullable=X["count"].astype("Int64").mask(X["num_1"] > 1),
            flag=(X["num_2"] > 0).astype("boolean"),
            text=X["cat_1"].astype(str).astype("string"),
        )
        sampler = likelihood_only(
            sensitive=["group", "band"], sampling_strategy="balance"
        )
    else:
        sampler = likelihood_only()
    sampler.fit(X, y)
    sampler.save(tmp_path / "m.zip")
    loaded = FairGANSampler.load(tmp_path / "m.zip")
    first, second = loaded.sample(40), sampler.sample(40)
    np.testing.assert_array_equal(first[1], second[1])
    if isinstance(first[0], pd.DataFrame):
        pd.testing.assert_frame_equal(first[0], second[0])
    else:
        np.testing.assert_array_equal(first[0], second[0])
    if case == "numpy input":
        assert loaded.random_state is loaded._rng


def test_a_model_saved_beside_pyarrow_loads_without_it(tmp_path, monkeypatch):
    pytest.importorskip("pyarrow")
    X, y = make_biased_classification(200, random_state=1)
    X = X.assign(text=X["cat_1"].astype(str).astype("string[pyarrow]"))
    likelihood_only(sensitive="group").fit(X, y).save(tmp_path / "m.zip")
    # What pandas checks before it builds a pyarrow string dtype (2.x, then 3.x).
    monkeypatch.setattr(string_arrays, "pa_version_under10p1", True, raising=False)
    monkeypatch.setattr(string_arrays, "HAS_PYARROW", False, raising=False)
    with pytest.raises(ImportError):
        pd.StringDtype("pyarrow")
    X_new, _ = FairGANSampler.load(tmp_path / "m.zip").sample(5)
    assert X_new["text"].dtype == pd.StringDtype("python")


def test_loaded_sampler_pickles(fitted, saved):
    loaded = FairGANSampler.load(saved)
    assert_same_draws(pickle.loads(pickle.dumps(loaded)).sample(30), loaded.sample(30))


def test_load_on_another_device(fitted, saved, biased):
    loaded = FairGANSampler.load(saved, device="cpu")
    assert loaded.device == "cpu" and loaded.net_.device == "cpu"
    assert_same_draws(loaded.sample(20), fitted.sample(20))
    loaded.resample(*biased)


def test_save_and_load_leave_global_random_state(saved, tmp_path):
    np.random.seed(0)
    torch.manual_seed(0)
    numpy_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    FairGANSampler.load(saved).save(tmp_path / "again.zip")
    np.testing.assert_array_equal(np.random.get_state()[1], numpy_state)
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_members_are_json_npy_and_safetensors(saved):
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
        documents = ["manifest.json", "sampler.json", "net.json"]
        assert names[:4] == [*documents, "weights.safetensors"]
        for name in documents:
            json.loads(archive.read(name))
        safetensors.torch.load(archive.read("weights.safetensors"))
        arrays = names[4:]
        assert arrays and all(name.startswith("arrays/") for name in arrays)
        for name in arrays:
            np.lib.format.read_array(io.BytesIO(archive.read(name)), allow_pickle=False)
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format_version"] == model_file.FORMAT_VERSION
    assert set(manifest["sha256"]) == set(names) - {"manifest.json"}


# ------------------------------------------------------------------ saving errors
def test_unfitted_sampler_cannot_be_saved(tmp_path):
    with pytest.raises(NotFittedError):
        tiny_sampler().save(tmp_path / "m.zip")
    assert list(tmp_path.iterdir()) == []


def test_a_strategy_function_cannot_be_saved(fitted, tmp_path):
    def double_the_smallest(y, groups):
        return "balance"

    fitted.set_params(sampling_strategy=double_the_smallest)
    try:
        with pytest.raises(ModelFileError) as error:
            fitted.save(tmp_path / "m.zip")
    finally:
        fitted.set_params(sampling_strategy="auto")
    assert "Cannot save sampler.sampling_strategy: a model file" in str(error.value)
    assert "holds data only, and this is a function" in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_interrupted_save_leaves_the_old_file(saved, monkeypatch):
    before = saved.read_bytes()

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(zipfile.ZipFile, "writestr", interrupt)
    with pytest.raises(KeyboardInterrupt):
        FairGANSampler.load(saved).save(saved)
    assert saved.read_bytes() == before
    assert [path.name for path in saved.parent.iterdir()] == [saved.name]


# ------------------------------------------------------------------ loading errors
def members_of(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(path, members, *, checksums=True):
    """Write a zip of ``members``; with ``checksums``, a manifest that matches."""
    members = dict(members)
    if checksums:
        manifest = json.loads(members["manifest.json"])
        manifest["sha256"] = {
            name: hashlib.sha256(data).hexdigest()
            for name, data in members.items()
            if name != "manifest.json"
        }
        members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def load_error(path):
    with pytest.raises(ModelFileError) as error:
        FairGANSampler.load(path)
    return str(error.value)


def test_another_format_version(saved):
    members = members_of(saved)
    manifest = json.loads(members["manifest.json"])
    manifest.update(format_version=2, fairsynth_version="9.0")
    members["manifest.json"] = json.dumps(manifest).encode()
    message = load_error(write_members(saved, members, checksums=False))
    assert "has format version 2, written by fairsynth 9.0" in message
    assert f"reads version {model_file.FORMAT_VERSION}. Load it with fairsynth 9.0" in (
        message
    )


def test_a_member_changed_by_hand(saved):
    members = members_of(saved)
    members["sampler.json"] = members["sampler.json"].replace(
        b'"parity_strength": 1.0', b'"parity_strength": 3.0'
    )
    message = load_error(write_members(saved, members, checksums=False))
    assert "sampler.json does not match its SHA-256 checksum in the manifest" in message
    assert "changed after it was saved" in message and "Nothing was loaded" in message


def test_a_member_added_or_removed(saved):
    members = members_of(saved)
    message = load_error(
        write_members(saved, {**members, "extra.pkl": b"x"}, checksums=False)
    )
    assert "holds ['extra.pkl'], which its manifest omits" in message
    del members["arrays/1.npy"]
    message = load_error(write_members(saved, members, checksums=False))
    assert "lacks ['arrays/1.npy'], which its manifest lists" in message


def test_bytes_flipped_inside_the_zip(saved):
    data = bytearray(saved.read_bytes())
    start = data.index(b"weights.safetensors") + 100
    data[start : start + 8] = bytes(8)
    saved.write_bytes(bytes(data))
    message = load_error(saved)
    assert "was changed after it was saved" in message or "is damaged" in message


def test_not_a_model_file(tmp_path):
    csv = tmp_path / "data.csv"
    csv.write_text("a,b\n1,2\n")
    assert "not a saved model. A fairsynth model file is a zip archive" in (
        load_error(csv)
    )
    archive = write_members(tmp_path / "other.zip", {"a.txt": b"x"}, checksums=False)
    assert "the zip archive has no manifest.json" in load_error(archive)


def test_weights_that_do_not_fit(saved):
    members = members_of(saved)
    tensors = safetensors.torch.load(members["weights.safetensors"])
    tensors.pop("critic_.score.bias")
    members["weights.safetensors"] = safetensors.torch.save(tensors)
    message = load_error(write_members(saved, members))
    assert "its weights do not fit the networks" in message
    assert "critic_" not in message or "score.bias" in message


def test_valid_json_that_lacks_a_fitted_attribute(saved):
    members = members_of(saved)
    state = json.loads(members["sampler.json"])
    del state["tokenizer_"]
    members["sampler.json"] = json.dumps(state).encode()
    message = load_error(write_members(saved, members))
    assert "net.json does not hold what fairsynth writes" in message
    assert "tokenizer_" in message


@pytest.mark.parametrize(
    ("part", "value", "phrase"),
    [
        ("params", {"module": "os.system"}, "the net has no settings ['module']"),
        ("params", {"lr": {"__type__": "pandas.NA"}}, "settings must be plain"),
        ("counters", {"module_": 1}, "'module_' is not a counter of the net"),
    ],
)
def test_net_settings_cannot_replace_code(saved, part, value, phrase):
    members = members_of(saved)
    record = json.loads(members["net.json"])
    record[part].update(value)
    members["net.json"] = json.dumps(record).encode()
    assert phrase in load_error(write_members(saved, members))


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_a_cuda_model_on_a_machine_without_cuda(saved):
    members = members_of(saved)
    members["sampler.json"] = members["sampler.json"].replace(
        b'"device": "cpu"', b'"device": "cuda"'
    )
    message = load_error(write_members(saved, members))
    assert "saved with device='cuda', and torch finds no CUDA device" in message
    assert "FairGANSampler.load(path, device='cpu')" in message


# ------------------------------------------------------------------ crafted files
class Payload:
    """Unpickling this writes ``marker``: what a malicious model file would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return builtins.exec, (f"open({self.marker!r}, 'w').write('ran')",)


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / "payload-ran"
    # The payload is live: unpickling it does write the marker.
    pickle.loads(pickle.dumps(Payload(path)))
    assert path.exists()
    path.unlink()
    return path


def test_a_pickle_is_refused_unread(marker, tmp_path):
    path = tmp_path / "sampler.pkl"
    path.write_bytes(pickle.dumps(Payload(marker)))
    message = load_error(path)
    assert "not a saved model but a pickle. fairsynth does not load pickles" in message
    assert not marker.exists()


def test_a_torch_save_archive_is_refused_unread(marker, tmp_path):
    path = tmp_path / "model.pt"
    torch.save({"sampler": Payload(marker)}, path)
    assert zipfile.is_zipfile(path)
    assert "the zip archive has no manifest.json" in load_error(path)
    assert not marker.exists()


@pytest.mark.parametrize("member", ["sampler.json", "net.json", "weights.safetensors"])
def test_pickled_members_with_matching_checksums_never_run(saved, marker, member):
    members = members_of(saved)
    members[member] = pickle.dumps(Payload(marker))
    message = load_error(write_members(saved, members))
    assert f"{member} does not hold what fairsynth writes" in message
    assert "was not written by fairsynth. Nothing was loaded." in message
    assert not marker.exists()


def test_a_pickled_array_never_runs(saved, marker):
    members = members_of(saved)
    buffer = io.BytesIO()
    np.save(buffer, np.array([Payload(marker)], dtype=object), allow_pickle=True)
    members["arrays/1.npy"] = buffer.getvalue()
    message = load_error(write_members(saved, members))
    assert "sampler.json does not hold what fairsynth writes" in message
    assert "allow_pickle=False" in message
    assert not marker.exists()


def test_a_type_outside_the_allowlist_is_refused(saved, marker):
    members = members_of(saved)
    state = json.loads(members["sampler.json"])
    state["verbose"] = {"__type__": "builtins.exec", "state": f"open({marker!r})"}
    members["sampler.json"] = json.dumps(state).encode()
    message = load_error(write_members(saved, members))
    assert "sampler.json names the type 'builtins.exec'" in message
    assert "which fairsynth model files never hold" in message
    assert not marker.exists()
