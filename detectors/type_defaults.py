"""The detectors' per-identifier-type defaults, read from the domain's type table, and their check.

``detectors/config.py`` keeps its dictionaries and tuples (policy and config
files name them), but their defaults come from
:data:`ringwatch.domain.member_types.IDENTIFIER_TYPES`, so a new identifier type
is weighed, capped and grouped with its kind without touching the config. A
config that leaves a registered type without a sharing cap or a weight is
refused when it is built (:func:`check_identity_types`), at start-up: before,
such a type got a cap of 0 in :func:`~ringwatch.detectors.sharing.identifier_pairs`
and its links were dropped without a word.

Example
-------
>>> type_weights()["payout_account"], max_sharing()["ip"], lockstep_join_types()
(1.0, 40, ('ip',))
"""

from __future__ import annotations

from collections.abc import Mapping

from ringwatch import RingwatchError
from ringwatch.domain import check_table, identifier_types, identifiers_by_strength


class ConfigError(RingwatchError):
    """A detection config that cannot be run as given (a type without a cap, say)."""


def type_weights() -> dict[str, float]:
    """Each identifier type's evidence weight, strongest first."""
    return {t.name: t.evidence_weight for t in identifiers_by_strength()}


def personal_sharing() -> dict[str, int]:
    """Up to how many accounts an identifier of each type is still personal, strongest first."""
    return {t.name: t.personal_sharing for t in identifiers_by_strength()}


def max_sharing() -> dict[str, int]:
    """Beyond how many accounts an identifier of each type is a hub, strongest first."""
    return {t.name: t.sharing_cap for t in identifiers_by_strength()}


def all_types() -> tuple[str, ...]:
    """Every identifier type, in table order."""
    return tuple(t.name for t in identifier_types())


def personal_types() -> tuple[str, ...]:
    """The types one person or one operator uses (not everyday sharing), strongest first."""
    return tuple(t.name for t in identifiers_by_strength() if not t.everyday)


def lockstep_join_types() -> tuple[str, ...]:
    """The everyday types (IP-like), which join accounts only when taken up in lockstep."""
    return tuple(t.name for t in identifiers_by_strength() if t.everyday)


def check_identity_types(*, max_sharing: Mapping[str, int],
                         type_weights: Mapping[str, float]) -> None:
    """Raise :class:`ConfigError` when a registered identifier type has no cap or no weight.

    The type table itself is checked first (:func:`ringwatch.domain.check_table`
    raises :class:`~ringwatch.domain.VocabularyError`).
    """
    check_table()
    problems = []
    for name, given in (("max_sharing", max_sharing), ("type_weights", type_weights)):
        missing = [t for t in all_types() if t not in given]
        if missing:
            problems.append(f"identity.{name} has no value for {', '.join(missing)}")
    if problems:
        raise ConfigError("; ".join(problems) + " (its links would be dropped); "
                          "give every identifier type a value")
