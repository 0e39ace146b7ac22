"""Enforcement policies: which rings get which actions, read from a TOML file a risk team owns.

Why a file and not code: what a confirmed collusion ring costs its members
(frozen payouts, held commissions, suspension) is a business decision that
changes more often than the detectors, and the people who make it review a
ten-line file, not a pull request. The job reads the file on every run and
refuses one it does not fully understand: every problem is collected (not
only the first) and named by the file, the rule and the key, so a typo can
never turn into "enforce nothing" or "enforce everything" unnoticed.

A policy is an ordered list of rules; a ring gets the actions of the **first**
rule that matches its kind, status and score, so a rule with no actions
("dismissed rings: nothing") stops the rings it matches from reaching a
broader rule below it. The file format is documented in ``docs/enforcement.md``;
``docs/enforcement-policy.example.toml`` is a complete example.

Example
-------
>>> policy = parse_policy('''
... [[rule]]
... name = "confirmed rings"
... status = "confirmed"
... reason = "ring confirmed by a reviewer"
... [[rule.action]]
... action = "suspend_creator"
... target = "creator"
... ''', source="inline")
>>> ring = Ring.from_json({"ring_id": "R-1", "kind": "identity_ring", "score": 0.7, "status": "confirmed",
...                         "members": [], "evidence": [], "metrics": {}})
>>> policy.rule_for(ring).name
'confirmed rings'
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ringwatch import RingwatchError
from ringwatch.detectors.ring_kinds import RING_KINDS
from ringwatch.domain import LINKED_ACCOUNT_TYPES, RING_STATUSES, Ring, account_types, identifier_types

#: The only policy file format there is so far; a file may say ``policy_version = 1``.
POLICY_VERSION = 1

#: What an action can be aimed at: a member of the ring (an account or an
#: identifier, by its type) or the ring as a whole (``ring``: one action per ring).
TARGET_TYPES: tuple[str, ...] = (
    *LINKED_ACCOUNT_TYPES, *(t.name for t in account_types() if not t.uses_identifiers),
    *(t.name for t in identifier_types()), "ring")

#: How an action's ``commission_held`` is worked out:
#: ``none`` (0: the action holds no money), ``account`` (the commission the target
#: account earned, a creator, or owes through creators, a shop, in the loaded
#: snapshot), ``ring`` (the commission the ring's creators earned inside the ring,
#: ``metrics.commission_total``).
COMMISSION_BASES: tuple[str, ...] = ("none", "account", "ring")

#: Target types for which ``commission = "account"`` means something.
ACCOUNT_COMMISSION_TARGETS: tuple[str, ...] = ("creator", "shop")

_ACTION_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_TOP_KEYS = ("policy_version", "rule")
_RULE_KEYS = ("name", "kind", "status", "min_score", "max_score", "reason", "action")
_ACTION_KEYS = ("action", "target", "reason", "commission", "only_with_commission")


class PolicyError(RingwatchError):
    """A policy file that cannot be used: unreadable, not TOML, or not a valid policy.

    ``problems`` lists every problem found, each naming the rule and the key;
    the message puts them on one line after the file's name.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"invalid enforcement policy {source}: {'; '.join(problems)}")


@dataclass(frozen=True)
class ActionSpec:
    """One action of a rule: what to do, to which members, why, and which money it holds."""

    action: str
    targets: tuple[str, ...]
    reason: str
    commission: str = "none"
    only_with_commission: bool = False


@dataclass(frozen=True)
class Rule:
    """Which rings a rule takes (kind, status, score range) and the actions they get.

    ``kinds`` is ``None`` for every kind. A score matches when
    ``min_score <= score <= max_score``.
    """

    name: str
    statuses: frozenset[str]
    actions: tuple[ActionSpec, ...]
    kinds: frozenset[str] | None = None
    min_score: float = 0.0
    max_score: float = 1.0

    def matches(self, ring: Ring) -> bool:
        """Whether ``ring`` falls under this rule (by its status, kind and score)."""
        if ring.status not in self.statuses:
            return False
        if self.kinds is not None and ring.kind not in self.kinds:
            return False
        score = float(ring.score or 0.0)
        return self.min_score <= score <= self.max_score


@dataclass(frozen=True)
class Policy:
    """An ordered list of rules, where it came from, and a digest of its text (for the journal)."""

    source: str
    rules: tuple[Rule, ...]
    digest: str

    def rule_for(self, ring: Ring) -> Rule | None:
        """The first rule that matches ``ring``, ``None`` when none does."""
        return next((rule for rule in self.rules if rule.matches(ring)), None)

    @property
    def needs_account_commission(self) -> bool:
        """Whether an action holds an account's commission (the job then reads one projection)."""
        return any(a.commission == "account" for r in self.rules for a in r.actions)


def load_policy(path: Path) -> Policy:
    """Read and validate a policy file; :class:`PolicyError` names the file, rule and key of each problem."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(source, ["the file does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(source, [f"cannot be read: {exc}"]) from None
    return parse_policy(text, source=source)


def parse_policy(text: str, *, source: str) -> Policy:
    """Validate a policy given as TOML text; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(source, [f"not valid TOML: {exc}"]) from None
    problems: list[str] = []
    rules = _rules(data, problems)
    if problems:
        raise PolicyError(source, problems)
    return Policy(source=source, rules=tuple(rules), digest=hashlib.sha256(text.encode()).hexdigest())


def _rules(data: dict[str, Any], problems: list[str]) -> list[Rule]:
    _unknown_keys(data, _TOP_KEYS, "", problems)
    version = data.get("policy_version", POLICY_VERSION)
    if version != POLICY_VERSION or isinstance(version, bool):
        problems.append(f"key 'policy_version': must be {POLICY_VERSION}, got {version!r}")
    raw_rules = data.get("rule")
    if raw_rules is None:
        problems.append("key 'rule': missing; give at least one [[rule]] table")
        return []
    if not isinstance(raw_rules, list) or not all(isinstance(r, dict) for r in raw_rules):
        problems.append("key 'rule': must be a list of [[rule]] tables")
        return []
    rules: list[Rule] = []
    names: set[str] = set()
    for number, raw in enumerate(raw_rules, start=1):
        rule = _rule(raw, number, problems)
        if rule is None:
            continue
        if rule.name in names:
            problems.append(f"{_where(number, rule.name)}, key 'name': another rule has this name; "
                            "a rule's name is its identity in the store and the audit log")
        names.add(rule.name)
        rules.append(rule)
    return rules


def _rule(raw: dict[str, Any], number: int, problems: list[str]) -> Rule | None:
    name = raw.get("name")
    where = _where(number, name if isinstance(name, str) else None)
    before = len(problems)
    _unknown_keys(raw, _RULE_KEYS, where, problems)
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{where}, key 'name': required, a non-empty string")
    statuses = _names(raw, "status", RING_STATUSES, where, problems, required=True)
    kinds = _names(raw, "kind", RING_KINDS, where, problems, required=False)
    low = _score(raw, "min_score", 0.0, where, problems)
    high = _score(raw, "max_score", 1.0, where, problems)
    if low > high:
        problems.append(f"{where}, key 'min_score': {low} is above max_score {high}")
    reason = raw.get("reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        problems.append(f"{where}, key 'reason': must be a non-empty string")
        reason = None
    raw_actions = raw.get("action", [])
    if not isinstance(raw_actions, list) or not all(isinstance(a, dict) for a in raw_actions):
        problems.append(f"{where}, key 'action': must be a list of [[rule.action]] tables")
        raw_actions = []
    actions = [_action(a, where, i, reason, problems) for i, a in enumerate(raw_actions, start=1)]
    if len(problems) > before:
        return None
    return Rule(name=str(name).strip(), statuses=frozenset(statuses or ()),
                actions=tuple(a for a in actions if a is not None),
                kinds=frozenset(kinds) if kinds is not None else None, min_score=low, max_score=high)


def _action(raw: dict[str, Any], rule_where: str, number: int, rule_reason: str | None,
            problems: list[str]) -> ActionSpec | None:
    where = f"{rule_where}, action {number}"
    before = len(problems)
    _unknown_keys(raw, _ACTION_KEYS, where, problems)
    name = raw.get("action")
    if not isinstance(name, str) or not _ACTION_NAME.match(name):
        problems.append(f"{where}, key 'action': required, a name in lower_snake_case "
                        f"(like freeze_commission), got {name!r}")
    targets = _names(raw, "target", TARGET_TYPES, where, problems, required=True) or []
    reason = raw.get("reason", rule_reason)
    if not isinstance(reason, str) or not reason.strip():
        problems.append(f"{where}, key 'reason': required here or on the rule, a non-empty string "
                        "(it tells the person who carries the action out why)")
    commission = raw.get("commission", "none")
    if commission not in COMMISSION_BASES:
        problems.append(f"{where}, key 'commission': must be one of {', '.join(COMMISSION_BASES)}, "
                        f"got {commission!r}")
    elif commission == "account":
        odd = [t for t in targets if t not in ACCOUNT_COMMISSION_TARGETS]
        if odd:
            problems.append(f"{where}, key 'commission': 'account' applies to creator and shop "
                            f"targets only, not {', '.join(odd)}")
    only = raw.get("only_with_commission", False)
    if not isinstance(only, bool):
        problems.append(f"{where}, key 'only_with_commission': must be true or false, got {only!r}")
    elif only and commission == "none":
        problems.append(f"{where}, key 'only_with_commission': needs commission = 'account' or 'ring'")
    if len(problems) > before:
        return None
    return ActionSpec(action=name, targets=tuple(targets), reason=str(reason).strip(),
                      commission=commission, only_with_commission=only)


def _where(number: int, name: str | None) -> str:
    return f"rule {number} ({name!r})" if name else f"rule {number}"


def _unknown_keys(raw: dict[str, Any], known: tuple[str, ...], where: str, problems: list[str]) -> None:
    prefix = f"{where}, " if where else ""
    for key in raw:
        if key not in known:
            problems.append(f"{prefix}key {key!r}: unknown (known keys: {', '.join(known)})")


def _names(raw: dict[str, Any], key: str, allowed: tuple[str, ...], where: str,
           problems: list[str], *, required: bool) -> list[str] | None:
    """A key holding one name or a list of names, each one of ``allowed``; ``None`` when absent."""
    if key not in raw:
        if required:
            problems.append(f"{where}, key {key!r}: required (one of {', '.join(allowed)}, or a list)")
        return None
    value = raw[key]
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        problems.append(f"{where}, key {key!r}: must be a name or a non-empty list of names, "
                        f"got {value!r}")
        return None
    unknown = [v for v in values if v not in allowed]
    if unknown:
        problems.append(f"{where}, key {key!r}: unknown {', '.join(map(repr, unknown))} "
                        f"(known: {', '.join(allowed)})")
        return None
    return values


def _score(raw: dict[str, Any], key: str, default: float, where: str, problems: list[str]) -> float:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        problems.append(f"{where}, key {key!r}: must be a number from 0 to 1, got {value!r}")
        return default
    return float(value)


#: The built-in policy, used when no ``--policy`` is given: what ``ringwatch enforce``
#: always did. Every confirmed ring, of any kind: suspend its accounts, hold the
#: payouts of its payout accounts, flag its identifiers, and claw back the
#: commission its creators earned inside the ring.
DEFAULT_POLICY_TOML = """\
policy_version = 1

[[rule]]
name = "confirmed rings"
status = "confirmed"

[[rule.action]]
action = "suspend_creator"
target = "creator"
reason = "creator account in a confirmed ring"

[[rule.action]]
action = "suspend_seller"
target = "seller"
reason = "seller account in a confirmed ring"

[[rule.action]]
action = "suspend_affiliate_program"
target = "shop"
reason = "shop's affiliate program used by a confirmed ring"

[[rule.action]]
action = "block_buyer"
target = "buyer"
reason = "buyer account in a confirmed ring"

[[rule.action]]
action = "hold_payouts"
target = "payout_account"
reason = "commissions of a confirmed ring paid here"

[[rule.action]]
action = "flag_identifier"
target = "device"
reason = "device used by a confirmed ring"

[[rule.action]]
action = "flag_identifier"
target = "phone"
reason = "phone used by a confirmed ring"

[[rule.action]]
action = "flag_identifier"
target = "email"
reason = "email used by a confirmed ring"

[[rule.action]]
action = "flag_identifier"
target = "ip"
reason = "IP used by a confirmed ring"

[[rule.action]]
action = "claw_back_commission"
target = "ring"
commission = "ring"
only_with_commission = true
reason = "commission earned by the ring's creators inside the ring"
"""

#: :data:`DEFAULT_POLICY_TOML`, parsed.
DEFAULT_POLICY: Policy = parse_policy(DEFAULT_POLICY_TOML, source="the built-in default policy")
