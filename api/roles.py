"""The role ladder of API keys, apart from the HTTP code so the command line can use it cheaply."""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    """What a key may do; each role includes the ones before it."""

    viewer = "viewer"
    investigator = "investigator"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, needed: Role) -> bool:
        """True when this role is ``needed`` or stronger."""
        return self.rank >= needed.rank


_RANKS = {Role.viewer: 0, Role.investigator: 1, Role.admin: 2}
