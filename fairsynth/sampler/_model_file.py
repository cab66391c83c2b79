"""Model files: a fitted FairGANSampler in a zip that loads without running code.

The zip holds:

- ``manifest.json``: the format and its version, the versions of fairsynth and of
  the libraries that wrote it, and the SHA-256 of every other member;
- ``sampler.json``: the sampler's parameters and fitted attributes, tokenizer
  included, with its arrays in ``arrays/N.npy`` (see ``_model_state``);
- ``net.json``: the skorch net's settings, counters and loss history;
- ``weights.safetensors``: the weights of every network.

Loading checks the manifest and every checksum before it parses another member,
builds the networks with this fairsynth's own code (``build_net``), and loads the
weights into them. Nothing in the file is unpickled, imported or run.
"""

import contextlib
import hashlib
import json
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import safetensors.torch
import sklearn
import skorch
import torch
from safetensors import SafetensorError
from sklearn.utils.validation import check_is_fitted
from skorch.history import History

from .. import __version__
from .._files import atomic_path
from ..gan import seeded
from ._cache import cache_location
from ._model_state import ModelFileError, StateReader, StateWriter
from ._training import build_net

FORMAT = "fairsynth.FairGANSampler"
FORMAT_VERSION = 1
MANIFEST, SAMPLER, NET = "manifest.json", "sampler.json", "net.json"
WEIGHTS = "weights.safetensors"
# Entries get a fixed time, so that saving a sampler twice gives the same bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)

NOT_A_ZIP = (
    "{path}: not a saved model. A fairsynth model file is a zip archive, and this "
    "file is not one; save a model with FairGANSampler.save or `fairsynth resample "
    "--save-model`."
)
A_PICKLE = (
    "{path}: not a saved model but a pickle. fairsynth does not load pickles, "
    "because loading one runs whatever code it carries. If you trust the file, "
    "unpickle it yourself and save it again with FairGANSampler.save; else refit."
)
NOT_A_MODEL = (
    "{path}: not a saved model: the zip archive {problem}. Nothing was loaded; a "
    "fairsynth model file is written by FairGANSampler.save."
)
OTHER_VERSION = (
    "{path}: the model file has format version {found}, written by fairsynth "
    "{writer}; this fairsynth ({ours}) reads version {expected}. Load it with "
    "fairsynth {writer}, or fit the sampler again and save it with this version."
)
MEMBERS_CHANGED = (
    "{path}: the archive {problem}, so it was changed after it was saved. Nothing "
    "was loaded; copy or save the file again."
)
CHECKSUM_MISMATCH = (
    "{path}: {member} does not match its SHA-256 checksum in the manifest, so the "
    "file was changed after it was saved, or is damaged. Nothing was loaded; copy "
    "or save the file again."
)
DAMAGED_ZIP = (
    "{path}: the zip archive is damaged ({error}), or was changed after it was "
    "saved. Nothing was loaded; copy or save the file again."
)
DAMAGED = (
    "{path}: {member} does not hold what fairsynth writes ({error}), so the file "
    "was not written by fairsynth. Nothing was loaded."
)
OTHER_NETWORKS = (
    "{path}: {problem}: the file was written by a fairsynth ({writer}) whose "
    "networks differ from this one's ({ours}). Load it with fairsynth {writer}, or "
    "fit the sampler again."
)
NO_CUDA = (
    "{path}: the sampler was saved with device={device!r}, and torch finds no CUDA "
    "device here. Load it with FairGANSampler.load(path, device='cpu')."
)


def save_sampler(sampler, path):
    """Write a fitted sampler to ``path`` as a model file, atomically."""
    check_is_fitted(sampler, "net_")
    writer = StateWriter()
    # A copy: object.__getstate__ returns the instance's own __dict__.
    state = dict(sampler.__getstate__())
    net = state.pop("net_")
    # A joblib.Memory is an object, not data: the file keeps the folder it names.
    state["memory"] = cache_location(state["memory"])
    state["_trained_params"] = {**state["_trained_params"], "memory": state["memory"]}
    members = {
        SAMPLER: _to_json(
            {
                key: writer.encode(value, f"sampler.{key}")
                for key, value in state.items()
            }
        ),
        NET: _to_json(_net_record(net, writer)),
        WEIGHTS: safetensors.torch.save(_weights(net)),
    }
    members.update(writer.members)
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in members.items()}
    with atomic_path(path) as temporary, zipfile.ZipFile(temporary, "w") as archive:
        for name, data in {MANIFEST: _to_json(_manifest(digests)), **members}.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, 0o644 << 16
            archive.writestr(info, data)


def load_sampler(cls, path, *, device=None):
    """Read a sampler of class ``cls`` from the model file at ``path``."""
    manifest, members = _read_members(Path(path))
    with _malformed(path, SAMPLER):
        state = _decode(members, SAMPLER, path)
        if device is not None:
            # The device holds the networks but does not shape them, so the
            # sampler counts as trained with it (resample compares parameters).
            state["device"] = state["_trained_params"]["device"] = device
        sampler = cls.__new__(cls)
        sampler.__setstate__(state)
    with _malformed(path, NET):
        record = _decode(members, NET, path)
        sampler.net_ = _rebuild_net(sampler, record, members[WEIGHTS], path, manifest)
    return sampler


# ----------------------------------------------------------------- writing
def _to_json(data):
    return json.dumps(data, indent=1, allow_nan=True).encode()


def _manifest(digests):
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "fairsynth_version": __version__,
        "written_with": {
            module.__name__: module.__version__
            for module in (np, pd, sklearn, skorch, torch)
        },
        "sha256": digests,
    }


def _is_plain(value):
    """Whether ``value`` is JSON data: None, a number, a string, or a list of them."""
    if isinstance(value, list | tuple):
        return all(map(_is_plain, value))
    return value is None or type(value) in (bool, int, float, str)


def _net_record(net, writer):
    """Return the net's plain settings (batch size, epochs...), counters, history."""
    params = {
        name: value
        for name, value in net.get_params(deep=False).items()
        if _is_plain(value) and name != "device"
    }
    counters = {
        name: value
        for name, value in vars(net).items()
        if name.endswith("_") and type(value) in (int, float)
    }
    return {
        "params": writer.encode(params, "sampler.net_"),
        "counters": counters,
        "history": writer.encode(list(net.history), "sampler.net_.history"),
    }


def _networks(net):
    """Return the net's torch modules by attribute (``module_``, ``critic_``...)."""
    return {
        name: value
        for name, value in vars(net).items()
        if name.endswith("_") and isinstance(value, torch.nn.Module)
    }


def _weights(net):
    """Every network's state, as CPU copies named ``<attribute>.<key>``."""
    return {
        f"{name}.{key}": tensor.detach().to("cpu", copy=True).contiguous()
        for name, module in _networks(net).items()
        for key, tensor in module.state_dict().items()
    }


# ----------------------------------------------------------------- reading
def _read_members(path):
    """Return the manifest and the members, once every check has passed."""
    with open(path, "rb") as file:
        start = file.read(1)
    if not zipfile.is_zipfile(path):
        raise ModelFileError(
            (A_PICKLE if start == b"\x80" else NOT_A_ZIP).format(path=path)
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if MANIFEST not in names:
                raise ModelFileError(
                    NOT_A_MODEL.format(path=path, problem="has no manifest.json")
                )
            manifest = _check_manifest(archive.read(MANIFEST), path)
            _check_names(names, manifest["sha256"], path)
            members = {name: archive.read(name) for name in manifest["sha256"]}
    except (zipfile.BadZipFile, NotImplementedError, EOFError, zlib.error) as error:
        raise ModelFileError(DAMAGED_ZIP.format(path=path, error=error)) from error
    for name, data in members.items():
        if hashlib.sha256(data).hexdigest() != manifest["sha256"][name]:
            raise ModelFileError(CHECKSUM_MISMATCH.format(path=path, member=name))
    return manifest, members


def _check_manifest(data, path):
    try:
        manifest = json.loads(data)
        named_format = manifest["format"]
    except (ValueError, TypeError, KeyError):
        manifest, named_format = None, None
    if named_format != FORMAT:
        problem = "has a manifest.json that is not a fairsynth model's"
        raise ModelFileError(NOT_A_MODEL.format(path=path, problem=problem))
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            OTHER_VERSION.format(
                path=path,
                found=manifest.get("format_version"),
                writer=manifest.get("fairsynth_version", "unknown"),
                ours=__version__,
                expected=FORMAT_VERSION,
            )
        )
    digests = manifest.get("sha256")
    if type(digests) is not dict or not all(map(_is_plain, digests.values())):
        problem = "has a manifest.json without checksums"
        raise ModelFileError(NOT_A_MODEL.format(path=path, problem=problem))
    return manifest


def _check_names(names, digests, path):
    """Check that the archive holds the members its manifest lists, once each."""
    listed, found = {*digests, MANIFEST}, set(names)
    problems = []
    if found - listed:
        problems.append(f"holds {sorted(found - listed)}, which its manifest omits")
    if listed - found:
        problems.append(f"lacks {sorted(listed - found)}, which its manifest lists")
    if len(found) != len(names):
        problems.append("holds a member twice")
    if not {SAMPLER, NET, WEIGHTS} <= listed:
        problems.append(f"lacks one of {SAMPLER}, {NET} and {WEIGHTS}")
    if problems:
        raise ModelFileError(
            MEMBERS_CHANGED.format(path=path, problem="; ".join(problems))
        )


def _decode(members, name, path):
    """Parse and decode one JSON member."""
    reader = StateReader(members.__getitem__, f"{path}: {name}")
    return reader.decode(json.loads(members[name]))


@contextlib.contextmanager
def _malformed(path, member):
    """Turn any error that content not written by fairsynth causes into a clear one.

    The checksums passed, so such content comes from someone who rewrote the
    manifest, or from a fairsynth that wrote it otherwise.
    """
    try:
        yield
    except ModelFileError:
        raise
    except (
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        RuntimeError,
    ) as error:
        raise ModelFileError(
            DAMAGED.format(path=path, member=member, error=error)
        ) from error


def _check_cuda(device, path):
    """Refuse a saved CUDA device that torch cannot reach, before the net is built.

    The net's own device is not saved (``_net_record``): build_net resolves it
    from the sampler's, so this one check covers both.
    """
    wants_cuda = device != "auto" and torch.device(device).type == "cuda"
    if wants_cuda and not torch.cuda.is_available():
        raise ModelFileError(NO_CUDA.format(path=path, device=device))


def _rebuild_net(sampler, record, weights, path, manifest):
    """Build the net with this fairsynth's code, then restore what training left."""
    _check_cuda(sampler.device, path)
    cardinalities = [*map(len, sampler.sensitive_values_), len(sampler.classes_)]
    net = build_net(sampler, cardinalities, n_rows=int(sampler._counts.sum()))
    versions = {"writer": manifest.get("fairsynth_version"), "ours": __version__}
    _restore_params(net, record["params"], path, versions)
    # The initial weights are replaced below; seeding keeps the user's generators.
    with seeded(0, net.device):
        net.initialize()
    _restore_counters(net, record["counters"])
    net.history_ = History(record["history"])
    _load_weights(net, weights, path, versions)
    return net


def _restore_params(net, saved, path, versions):
    """Set the saved values of the net's plain settings, and only of those.

    The batch size and the epochs depend on the rows that fit saw, which the
    file does not hold; a setting this fairsynth's net lacks means other code.
    """
    current = {
        name: value
        for name, value in net.get_params(deep=False).items()
        if _is_plain(value)
    }
    unknown = sorted(set(saved) - set(current))
    if unknown:
        problem = f"the net has no settings {unknown}"
        raise ModelFileError(
            OTHER_NETWORKS.format(path=path, problem=problem, **versions)
        )
    if not all(map(_is_plain, saved.values())):
        raise TypeError("the net's settings must be plain values")
    net.set_params(**{k: v for k, v in saved.items() if v != current[k]})


def _restore_counters(net, counters):
    """Set the numbers that training counted (``average_steps_``...), and no more."""
    numbers = (int, float)
    for name, value in counters.items():
        current = getattr(net, name, 0)
        if not (name.endswith("_") and type(value) in numbers) or (
            type(current) not in numbers
        ):
            raise TypeError(f"{name!r} is not a counter of the net")
        setattr(net, name, value)


def _load_weights(net, data, path, versions):
    """Load every network's weights, which must fit exactly."""
    try:
        tensors = safetensors.torch.load(data)
    except SafetensorError as error:
        raise ModelFileError(
            DAMAGED.format(path=path, member=WEIGHTS, error=error)
        ) from error
    by_network = {}
    for key, tensor in tensors.items():
        network, _, name = key.partition(".")
        by_network.setdefault(network, {})[name] = tensor
    networks = _networks(net)
    unknown = sorted(set(by_network) - set(networks))
    try:
        if unknown:
            raise RuntimeError(f"no networks {unknown}")
        for name, network in networks.items():
            network.load_state_dict(by_network.get(name, {}), strict=True)
    except RuntimeError as error:
        problem = f"its weights do not fit the networks ({error})"
        raise ModelFileError(
            OTHER_NETWORKS.format(path=path, problem=problem, **versions)
        ) from error
