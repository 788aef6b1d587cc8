"""Staff sessions as Redis remembers them, asked only while the database is unreachable.

A request whose session the database opened (`hotline.staff_sessions`) is remembered here for MEMORY_SECONDS; when
the database cannot be reached, the memory answers instead, so the specialists on shift go on working from the live
queue (it is in Redis) through an outage. Logging out, a password reset and any change of the user (role,
deactivation) forget at once; what is remembered expires by itself, so a session ended otherwise while the database
was away ends by then at the latest.
"""

from __future__ import annotations

import json

import redis

from hotline.staff_sessions import token_key
from hotline.users import Role

MEMORY_SECONDS = 15 * 60


class SessionMemory:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def _key(self, token: str) -> str:
        return f"{self.prefix}:staff-session:{token_key(token)}"

    def _user_key(self, user_id: int) -> str:
        return f"{self.prefix}:staff-sessions-of:{user_id}"

    def remember(self, token: str, *, user_id: int, username: str, role: Role) -> None:
        """The session opened this user now (one round trip)."""
        key = self._key(token)
        with self.client.pipeline() as pipe:
            pipe.set(key, json.dumps([user_id, username, role.value]), ex=MEMORY_SECONDS)
            pipe.sadd(self._user_key(user_id), key)
            pipe.expire(self._user_key(user_id), MEMORY_SECONDS)
            pipe.execute()

    def recall(self, token: str) -> tuple[int, str, Role] | None:
        """(user id, username, role) the session opened when last asked, or None."""
        found = self.client.get(self._key(token))
        if found is None:
            return None
        user_id, username, role = json.loads(found)
        return int(user_id), str(username), Role(role)

    def forget(self, token: str) -> None:
        self.client.delete(self._key(token))

    def forget_user(self, user_id: int) -> None:
        """Every remembered session of the user (their password was reset, or the user changed)."""
        keys = [str(k) for k in self.client.smembers(self._user_key(user_id))]
        self.client.delete(self._user_key(user_id), *keys)
