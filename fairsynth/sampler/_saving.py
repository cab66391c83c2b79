"""FairGANSampler's model files: ``save`` and ``load``.

A mixin of :class:`~fairsynth.sampler.FairGANSampler`; the file format lives in
:mod:`fairsynth.sampler._model_file`, imported only when a file is written or read.
"""


class ModelFiles:
    """The model-file side of FairGANSampler."""

    def save(self, path):
        """Write the fitted sampler to a model file that loads without running code.

        The file is a zip of JSON, NumPy arrays and ``safetensors`` weights, with
        a format version and the SHA-256 of each part; it is written whole or not
        at all. It holds what the sampler learned from the data, bins of real
        values included: share it only where you would share the data. See the
        user guide's page on saving models.

        Parameters
        ----------
        path : str or path-like
            Where to write the file; an existing file is replaced.

        Examples
        --------
        >>> import tempfile
        >>> from pathlib import Path
        >>> from fairsynth import FairGANSampler
        >>> from fairsynth.datasets import make_biased_classification
        >>> X, y = make_biased_classification(300, random_state=0)
        >>> sampler = FairGANSampler(sensitive="group", epochs=1, random_state=0)
        >>> path = Path(tempfile.mkdtemp()) / "sampler.zip"
        >>> sampler.fit(X, y).save(path)
        >>> loaded = FairGANSampler.load(path)
        >>> loaded.sample(5)[0].equals(sampler.sample(5)[0])
        True
        """
        from ._model_file import save_sampler

        save_sampler(self, path)

    @classmethod
    def load(cls, path, *, device=None):
        """Read a sampler that :meth:`save` wrote; no code in the file runs.

        The networks are built by this fairsynth, then given the saved weights.
        The loaded sampler samples, resamples and pickles as the saved one did,
        and from the same random state: on the same device, it draws the same
        rows as the saved sampler would have.

        Parameters
        ----------
        path : str or path-like
            A file written by :meth:`save`.
        device : str, default=None
            Torch device for the networks (``"cpu"`` to load on a machine
            without the GPU they were trained on); None keeps ``device``.

        Returns
        -------
        sampler : FairGANSampler
            The fitted sampler.

        Raises
        ------
        ValueError
            If the file is not a model file (a pickle, say), was written in
            another version of the format, or was changed after it was saved.
        """
        from ._model_file import load_sampler

        return load_sampler(cls, path, device=device)
