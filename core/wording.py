"""How Ringwatch says counts, member types, lists of ids and money: one module for every writer.

Every evidence item is read on its own (a reviewer's list, an enforcement
note, an item folded into another ring), so each sentence names who it is
about and keeps its numbers in agreement: "1 order", "2 orders", "1 prior
policy violation". The detectors' evidence, the report's pictures and the
command line build their words from these helpers instead of formatting
counts and amounts ad hoc, so the rules hold everywhere at once (the review
page, ``api/static/ui/app.js``, follows the same words). It imports only
:mod:`ringwatch.domain`, so every folder may use it.

Example
-------
>>> count(1, "order"), count(3, "policy violation")
('1 order', '3 policy violations')
>>> accounts("buyer", ["b1", "b2", "b3", "b4", "b5"])
'buyers b1, b2, b3 and 2 more'
>>> type_noun("payout_account"), type_noun("ip", 2)
('payout account', 'IPs')
>>> money(1830.5, "USD"), money(12, "mixed")
('1,830.50 USD', '12.00 (summed over mixed currencies)')
>>> percent(0.004123), percent(0.123), percent(1.0)
('0.41%', '12%', '100%')
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ringwatch.domain import MIXED_CURRENCY, type_row

#: How many ids a sentence names before it says "and N more".
SHOWN = 3

def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """``noun`` as it agrees with ``n``: the noun for exactly 1, else its plural (default ``+s``)."""
    if n == 1:
        return noun
    return plural_form if plural_form is not None else f"{noun}s"


def type_noun(member_type: str, n: int = 1) -> str:
    """A member type as a reader says it, the noun in agreement with ``n``.

    ``type_noun("ip")`` is ``"IP"``, ``type_noun("payout_account", 3)`` is
    ``"payout accounts"`` (the label and plural of the domain's type table);
    the count itself is the caller's (see :func:`count`).
    """
    row = type_row(member_type)
    if row is None:  # not a type of the table: its name, "_" said as a space
        return plural(n, member_type.replace("_", " "))
    return plural(n, row.label, row.plural)


def count(n: int, noun: str, plural_form: str | None = None) -> str:
    """``n`` and the noun in agreement: ``count(1, "order")`` is ``"1 order"``."""
    return f"{n:,} {plural(n, noun, plural_form)}"


def verb(n: int, singular: str, plural_form: str) -> str:
    """The verb form that agrees with a subject of ``n`` things: ``verb(1, "was", "were")``."""
    return singular if n == 1 else plural_form


def listed(ids: Iterable[str], *, shown: int = SHOWN) -> str:
    """The first ``shown`` ids in order, then "and N more": ``"a, b, c and 2 more"``."""
    ids = list(ids)
    head, rest = ids[:shown], len(ids) - shown
    if rest > 0:
        return f"{', '.join(head)} and {rest:,} more"
    if len(head) <= 1:
        return "".join(head)
    return f"{', '.join(head[:-1])} and {head[-1]}"


def accounts(account_type: str, ids: Iterable[str], *, shown: int = SHOWN) -> str:
    """A named subject: ``"creator c1"``, ``"buyers b1, b2 and 4 more"`` (type in agreement)."""
    ids = list(ids)
    return f"{plural(len(ids), account_type)} {listed(ids, shown=shown)}"


def money(amount: float, currency: str | None = None) -> str:
    """An amount with its currency when known: ``"1,830.50 USD"``.

    ``currency`` is an ISO code, :data:`MIXED_CURRENCY` when the amount sums
    orders in several currencies (said as such, so nobody reads it as one
    currency), or ``None``/``""`` when the snapshot gives no currency. The
    evidence, the report and the review page all word it this way.
    """
    value = f"{amount:,.2f}"
    if not currency:
        return value
    if currency == MIXED_CURRENCY:
        return f"{value} (summed over mixed currencies)"
    return f"{value} {currency}"


def percent(share: float) -> str:
    """A share in [0, 1] as a percentage with two significant digits: ``0.41%``, ``12%``.

    Two significant digits, not a fixed number of decimals, so that a rare
    share (``0.0032%``) never reads as ``0.0%`` and a common one carries no
    false precision.
    """
    value = 100.0 * share
    if value <= 0:
        return "0%"
    decimals = max(0, 1 - math.floor(math.log10(value)))
    return f"{value:.{decimals}f}%"


def span(hours: float) -> str:
    """``24 hours``, ``7 days``: a time window as a reviewer reads it."""
    return f"{hours:g} hours" if hours <= 48 else f"{hours / 24:g} days"
