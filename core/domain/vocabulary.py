"""The words rings, runs and snapshots are written in, each listed once as a string enum.

They are :class:`enum.StrEnum`: a member *is* its text, so it compares equal
to the string, serialises to it with :mod:`json`, formats as it in an
f-string, and works in pandas and numpy filters. Code that reads JSON may
therefore keep comparing with plain strings while new code names the member.

The tuples below are the orders other modules rely on (the generator codes
account types by position in :data:`LINKED_ACCOUNT_TYPES`, reports list ring
kinds in :class:`RingKind`'s order): change an order only with its users.

Examples
--------
>>> AccountType.CREATOR == "creator" and f"{RingKind.IDENTITY_RING}" == "identity_ring"
True
>>> ring_status(Lifecycle.PERSISTING, ReviewStatus.CONFIRMED)
'confirmed'
>>> ring_status(Lifecycle.DISSOLVED, ReviewStatus.CONFIRMED)
'dissolved'
"""

from __future__ import annotations

from enum import StrEnum

from .member_types import (
    ACCOUNT_TYPES,
    IDENTIFIER_TYPES,
    is_account_type,
    is_identifier_type,
)
from .ring_kind_table import RING_KINDS, ring_kinds


def _enum(name: str, names: tuple[str, ...], doc: str) -> type[StrEnum]:
    """A string enum of the table's names (``AccountType.CREATOR == "creator"``)."""
    enum = StrEnum(name, [(value.upper(), value) for value in names], module=__name__)
    enum.__doc__ = doc
    return enum


#: A marketplace account: what a ring's account members and ``/accounts/{type}/{id}`` name.
#: Its members are the rows of :data:`~.member_types.ACCOUNT_TYPES`.
AccountType = _enum("AccountType", tuple(t.name for t in ACCOUNT_TYPES),
                    "A marketplace account: what a ring's account members and "
                    "``/accounts/{type}/{id}`` name.")

#: The accounts that use identifiers (``identity_links.account_type``): a shop uses none.
LINKED_ACCOUNT_TYPES: tuple[str, ...] = tuple(AccountType(t.name) for t in ACCOUNT_TYPES
                                              if t.uses_identifiers)

#: Something accounts use and may share (``identity_links.identifier_type``): the rows of
#: :data:`~.member_types.IDENTIFIER_TYPES` as they were at import. Code that must also see a
#: type a test registers later asks :func:`~.member_types.identifier_types`.
IdentifierType = _enum("IdentifierType", tuple(t.name for t in IDENTIFIER_TYPES),
                       "Something accounts use and may share (``identity_links.identifier_type``).")


#: What a ring member's ``type`` can be: an account or an identifier.
MemberType = AccountType | IdentifierType  # type: ignore[valid-type]


def member_type(text: str) -> MemberType | str:
    """The account or identifier type named ``text``; ``ValueError`` for any other word.

    A type registered in the table after import (a test's) is returned as its text.
    """
    if text in AccountType._value2member_map_:
        return AccountType(text)
    if text in IdentifierType._value2member_map_:
        return IdentifierType(text)
    if is_identifier_type(text):
        return text
    raise ValueError(f"{text!r} is not an account or identifier type")


def ring_kind_named(text: str) -> RingKind | str:
    """The ring kind named ``text``; ``ValueError`` for a word the kind table does not hold.

    A kind registered in the table after import (a test's) is returned as its text.
    """
    if text in RingKind._value2member_map_:
        return RingKind(text)
    if text in {k.name for k in ring_kinds()}:
        return text
    raise ValueError(f"{text!r} is not a ring kind")


def is_account(member_type_text: str) -> bool:
    """Whether a member type names an account (identifiers do not decide a ring's identity)."""
    return is_account_type(member_type_text)


#: A kind of ring (docs/contract.md section 2), in the order reports list them. Its members
#: are the rows of :data:`~.ring_kind_table.RING_KINDS`; each detector module names its
#: kind from here (``KIND``), and the detector registry checks each has one detector.
RingKind = _enum("RingKind", tuple(k.name for k in RING_KINDS),
                 "A kind of ring (docs/contract.md section 2), in the order reports list them.")


class Lifecycle(StrEnum):
    """Where a ring stands between detection runs: found first by its latest run, found again, or gone."""

    NEW = "new"
    PERSISTING = "persisting"
    DISSOLVED = "dissolved"


class ReviewStatus(StrEnum):
    """A reviewer's decision on a ring; ``new`` until someone decides."""

    NEW = "new"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    ESCALATED = "escalated"


class ReviewAction(StrEnum):
    """What a reviewer does to a ring (``POST /rings/{id}/reviews``); :attr:`status` is its outcome."""

    CONFIRM = "confirm"
    DISMISS = "dismiss"
    ESCALATE = "escalate"

    @property
    def status(self) -> ReviewStatus:
        """The review status this action sets."""
        return _STATUS_AFTER[self]


_STATUS_AFTER = {ReviewAction.CONFIRM: ReviewStatus.CONFIRMED,
                 ReviewAction.DISMISS: ReviewStatus.DISMISSED,
                 ReviewAction.ESCALATE: ReviewStatus.ESCALATED}


#: The values of a ring's ``status`` field, in the order filters list them: the review
#: status of a ring still found, ``dissolved`` for one no longer found.
RING_STATUSES: tuple[str, ...] = (*ReviewStatus, Lifecycle.DISSOLVED)

#: Statuses of rings an analyst still has to act on or that are acted upon: the API's default
#: listing, an account's risk, ``flagged`` in neighbourhoods. Dismissed and dissolved rings are closed.
OPEN_STATUSES: frozenset[str] = frozenset(
    {ReviewStatus.NEW, ReviewStatus.CONFIRMED, ReviewStatus.ESCALATED})

#: The ``currency`` of money summed over orders in more than one currency (or with only
#: some of them carrying a code): a ring's metrics, its evidence and the queue read it.
MIXED_CURRENCY = "mixed"


def ring_status(lifecycle: Lifecycle, review: ReviewStatus) -> str:
    """A ring's contract ``status``: ``dissolved`` once no run finds it, else its review status.

    The contract keeps one ``status`` field (docs/contract.md section 2) that
    mixes the two: the lifecycle's ``new`` and ``persisting`` never show in it
    (``new`` there is the review status, "nobody decided yet"), and a
    dissolved ring keeps its review decision in ``review_status``.
    """
    return Lifecycle.DISSOLVED.value if lifecycle is Lifecycle.DISSOLVED else review.value
