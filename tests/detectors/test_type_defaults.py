"""The detectors' per-type defaults come from the domain's type table; a type without a cap is refused."""

from __future__ import annotations

import dataclasses

import pytest

from ringwatch.detectors.config import AbuseConfig, DetectionConfig, IdentityConfig
from ringwatch.detectors.type_defaults import ConfigError
from ringwatch.domain import IdentifierTypeInfo, VocabularyError, member_types

SIM = IdentifierTypeInfo("sim", "SIM card", "SIM cards", "Sim", "#123456",
                         evidence_weight=0.8, personal_sharing=3, sharing_cap=25)


def test_the_defaults_are_what_the_config_said_before_the_table() -> None:
    identity = IdentityConfig()
    assert list(identity.type_weights.items()) == [
        ("payout_account", 1.0), ("phone", 0.7), ("device", 0.6), ("email", 0.5), ("ip", 0.15)]
    assert list(identity.max_sharing.items()) == [
        ("payout_account", 60), ("phone", 60), ("device", 60), ("email", 30), ("ip", 40)]
    assert list(identity.personal_sharing.items()) == [
        ("payout_account", 10), ("phone", 4), ("device", 4), ("email", 3), ("ip", 2)]
    personal = ("payout_account", "phone", "device", "email")
    assert identity.absorb_types == identity.lockstep_types == AbuseConfig().strong_types == personal
    assert identity.lockstep_join_types == ("ip",)
    assert set(identity.agency_expected_types) == {*personal, "ip"}


@pytest.mark.parametrize("missing", ["max_sharing", "type_weights"])
def test_a_config_leaving_a_type_without_a_cap_or_weight_is_refused_when_built(missing: str) -> None:
    values = dict(getattr(IdentityConfig(), missing))
    del values["email"]
    with pytest.raises(ConfigError, match=rf"identity\.{missing} has no value for email"):
        IdentityConfig(**{missing: values})
    with pytest.raises(ConfigError):
        DetectionConfig(identity=IdentityConfig(**{missing: values}))


def test_a_type_added_to_the_table_gets_its_defaults_and_needs_a_cap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(member_types, "IDENTIFIER_TYPES", (*member_types.IDENTIFIER_TYPES, SIM))
    identity = IdentityConfig()
    assert identity.max_sharing["sim"] == 25 and identity.type_weights["sim"] == 0.8
    assert list(identity.type_weights)[:2] == ["payout_account", "sim"]  # by strength
    assert "sim" in identity.absorb_types and "sim" in AbuseConfig().strong_types
    # A config written before the type existed names every old type but not this one.
    with pytest.raises(ConfigError, match="sim"):
        IdentityConfig(max_sharing={"payout_account": 60, "phone": 60, "device": 60,
                                    "email": 30, "ip": 40})


def test_an_inconsistent_table_is_refused_when_a_config_is_built(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clash = dataclasses.replace(SIM, neo4j_label="Device")
    monkeypatch.setattr(member_types, "IDENTIFIER_TYPES", (*member_types.IDENTIFIER_TYPES, clash))
    with pytest.raises(VocabularyError, match="duplicate neo4j_label: Device"):
        IdentityConfig()
    hub = dataclasses.replace(SIM, personal_sharing=30)  # above its cap of 25
    monkeypatch.setattr(member_types, "IDENTIFIER_TYPES", (*member_types.IDENTIFIER_TYPES[:5], hub))
    with pytest.raises(VocabularyError, match="sim: needs 2 <= personal_sharing < sharing_cap"):
        IdentityConfig()
