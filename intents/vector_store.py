"""The phrase-vector cache in SQL: every worker and node reads what one of them computed."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from intents.models import PhraseVector
from intents.vectors import Matrix

log = logging.getLogger(__name__)
_CHUNK = 500  # keys per SELECT: well under every database's limit on bound parameters


class SqlVectors:
    """A `vectors.Store` over the `phrase_vectors` table (float16, 768 bytes a phrase)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def get(self, keys: Sequence[str]) -> Mapping[str, Matrix]:
        found: dict[str, Matrix] = {}
        with self.sessions() as session:
            for start in range(0, len(keys), _CHUNK):
                chunk = keys[start : start + _CHUNK]
                for row in session.execute(
                    select(PhraseVector.key, PhraseVector.vector).where(PhraseVector.key.in_(chunk))
                ):
                    found[row.key] = np.frombuffer(row.vector, dtype=np.float16).astype(np.float32)
        return found

    def put(self, vectors: Mapping[str, Matrix]) -> None:
        if not vectors:
            return
        try:
            with transaction(self.sessions) as session:
                known = set(session.scalars(select(PhraseVector.key).where(PhraseVector.key.in_(list(vectors)))))
                session.add_all(
                    PhraseVector(key=k, vector=v.astype(np.float16).tobytes())
                    for k, v in vectors.items()
                    if k not in known
                )
        except IntegrityError:
            pass  # another worker stored the same vectors first: they are equal
        except OperationalError as exc:  # a cache: a busy SQLite file costs a recomputation elsewhere, not the turn
            log.warning("phrase vectors not stored: %s", exc.orig)
