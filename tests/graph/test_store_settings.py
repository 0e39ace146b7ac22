"""Store settings come from the environment in one place, with the command line's options on top."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringwatch.graph.errors import StoreEmptyError, StoreUnavailableError
from ringwatch.graph.local_store import LocalStore
from ringwatch.store_settings import Backend, Neo4jSettings, Neo4jTimeouts, SettingsError, StoreSettings
from ringwatch.stores import open_store


def test_the_defaults_without_any_variable() -> None:
    settings = StoreSettings.from_env(environ={})
    assert settings == StoreSettings(Backend.local, Path(".ringwatch/store"), Neo4jSettings())


def test_an_option_wins_over_the_variable_which_wins_over_the_default() -> None:
    environ = {"RINGWATCH_STORE": "from-env"}
    assert StoreSettings.from_env(environ=environ).store_dir == Path("from-env")
    assert StoreSettings.from_env(store_dir=Path("given"), environ=environ).store_dir == Path("given")


def test_neo4j_variables_are_read_for_the_neo4j_backend_only() -> None:
    environ = {"RINGWATCH_NEO4J_URI": "bolt://db.example:7687", "RINGWATCH_NEO4J_PASSWORD": "secret",
               "RINGWATCH_NEO4J_USER": "ringwatch", "RINGWATCH_NEO4J_DATABASE": "graph",
               "RINGWATCH_NEO4J_TIMEOUT": "ten"}  # broken, and irrelevant to a local command
    assert StoreSettings.from_env(environ=environ).neo4j == Neo4jSettings()
    with pytest.raises(SettingsError, match="RINGWATCH_NEO4J_TIMEOUT"):
        StoreSettings.from_env(backend="neo4j", environ=environ)
    environ["RINGWATCH_NEO4J_TIMEOUT"] = "3"
    neo4j = StoreSettings.from_env(backend="neo4j", environ=environ).neo4j
    assert neo4j == Neo4jSettings("bolt://db.example:7687", "ringwatch", "secret", "graph",
                                  Neo4jTimeouts(connect=3.0))
    assert "secret" not in repr(neo4j)


@pytest.mark.parametrize(("given", "sessions"), [(None, 2), ("", 2), (" 3 ", 3), ("1", 1)])
def test_write_sessions_come_from_their_variable(given: str | None, sessions: int) -> None:
    environ = {} if given is None else {"RINGWATCH_NEO4J_WRITE_SESSIONS": given}
    assert Neo4jSettings.from_env(environ).write_sessions == sessions


@pytest.mark.parametrize("given", ["0", "-1", "two", "1.5"])
def test_a_write_session_count_that_is_not_a_whole_number_from_one_is_refused(given: str) -> None:
    with pytest.raises(SettingsError, match="RINGWATCH_NEO4J_WRITE_SESSIONS must be a whole number"):
        Neo4jSettings.from_env({"RINGWATCH_NEO4J_WRITE_SESSIONS": given})


def test_open_store_opens_the_local_store_the_settings_name(tmp_path: Path) -> None:
    settings = StoreSettings(store_dir=tmp_path / "store")
    with pytest.raises(StoreEmptyError, match="no local store"):
        open_store(settings, create=False)
    store = open_store(settings)
    assert isinstance(store, LocalStore) and store.directory == tmp_path / "store"
    assert open_store(settings, create=False).directory == store.directory


def test_open_store_refuses_neo4j_without_a_password() -> None:
    with pytest.raises(StoreUnavailableError, match="RINGWATCH_NEO4J_PASSWORD is not set"):
        open_store(StoreSettings(Backend.neo4j, neo4j=Neo4jSettings(password="")))
