"""Why a snapshot row was quarantined: a reason code and a detail, written as ``code: detail``.

The text form is the contract's (``_ringwatch_reason`` in ``quarantine/TABLE.csv``,
docs/contract.md section 1) and the load summary counts rows by its code, so
the code and the separator are defined here once. The loaders build reasons
for whole columns at a time (pyarrow), so they write :attr:`QuarantineCode.prefix`
followed by the detail; :func:`reason_codes` reads the codes of a column back.

Examples
--------
>>> str(QuarantineReason(QuarantineCode.MISSING_VALUE, "creator_id is empty"))
'missing_value: creator_id is empty'
>>> QuarantineReason.parse("bad_number: amount is not a number: 'abc'").code
<QuarantineCode.BAD_NUMBER: 'bad_number'>
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: Between a reason's code and its detail.
SEPARATOR = ": "


class QuarantineCode(StrEnum):
    """Why a row could not be loaded (docs/contract.md section 1, "Bad input")."""

    MALFORMED_ROW = "malformed_row"
    INVALID_UTF8 = "invalid_utf8"
    OVERSIZED_VALUE = "oversized_value"
    MISSING_VALUE = "missing_value"
    BAD_TIMESTAMP = "bad_timestamp"
    BAD_NUMBER = "bad_number"
    OUT_OF_DOMAIN = "out_of_domain"
    UNKNOWN_REFERENCE = "unknown_reference"
    DUPLICATE_KEY = "duplicate_key"

    @property
    def prefix(self) -> str:
        """The start of every reason with this code: ``"code: "``; the detail follows."""
        return f"{self.value}{SEPARATOR}"


@dataclass(frozen=True, slots=True)
class QuarantineReason:
    """One row's reason: its code, and a detail naming the column and the value."""

    code: QuarantineCode
    detail: str

    def __str__(self) -> str:
        return f"{self.code.prefix}{self.detail}"

    @classmethod
    def parse(cls, text: str) -> QuarantineReason:
        """Read a reason written as ``code: detail``; ``ValueError`` for an unknown code."""
        code, _, detail = text.partition(SEPARATOR)
        return cls(QuarantineCode(code), detail)


def reason_codes(reasons: pd.Series) -> pd.Series:
    """The code of each reason in a column of ``code: detail`` texts (vectorised)."""
    return reasons.str.partition(SEPARATOR)[0]
