"""A CSV read that parses times as it reads gives the load the text read gives.

The loader reads a clean CSV file with its time columns parsed by
pyarrow (``read_table_parsed``) and reads it again as text when that read
refuses a value or a row turns out bad. These tests load the same files with
and without that read and compare everything a load returns or writes.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ringwatch.loaders import LoadResult, load_snapshot
from ringwatch.loaders import snapshot as snapshot_module
from ringwatch.loaders.read import read_table_parsed
from ringwatch.loaders.schema import MAX_VALUE_BYTES
from ringwatch.loaders.validate import parsed_types
from ringwatch.tables import TABLES_BY_NAME, TIMESTAMP_TYPE

from ..snapshots import write_bad_snapshot, write_clean_snapshot

TIMES = ["2026-02-01T10:00:00Z", "2026-02-01T10:00:00+02:00", "2026-02-01T10:00:00+0200",
         "2026-02-01T10:00:00-05", "2026-02-01T10:00:00.123456Z", "2026-02-01T10:00:00.1234567Z",
         "2026-02-01T10:00:00.123456789+01:00", "2026-02-01 10:00:00Z", "2026-02-01T10:00Z",
         "2026-02-01T10Z", "2026-02-01", "2026-02-01T10:00:00", " 2026-02-01T10:00:00Z",
         "2026-02-01T10:00:00Z ", "", "2026-13-01T00:00:00Z", "2026-02-01T10:00:00z",
         "2026-02-01T24:00:00Z", "2026-02-30T00:00:00Z", "9999-12-31T23:59:59Z",
         "2026-02-01T10:00:60Z", "2026-02-01T10:00:00,5Z", "NA", "null", "\t2026-02-01T10:00:00Z"]
NUMBERS = ["10.5", " 10.5", "10.5 ", "\t3", "3\t", "+4", "-1", "1e2", "1E-2", ".5", "5.", "0",
           "-0", "nan", "NaN", "inf", "-inf", "NA", "", "abc", "1,5", "0x10", "1_000",
           "99999999999999999999", "1e309", "5\u00a0", " ", "0.2", "1"]
INTEGERS = ["1", "3", " 2 ", "+2", "2.0", "0", "", "9223372036854775807", "9223372036854775808",
            "-1", "1e3", "x", "\t4", "NaN"]


def _load(snapshot: Path, quarantine: Path, parsed: bool,
          monkeypatch: pytest.MonkeyPatch) -> LoadResult:
    with monkeypatch.context() as patch:
        if not parsed:
            patch.setattr(snapshot_module, "read_table_parsed", lambda path, types: None)
        return load_snapshot(snapshot, quarantine_dir=quarantine)


def _assert_same_load(snapshot: Path, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> LoadResult:
    text = _load(snapshot, tmp / "q-text", False, monkeypatch)
    parsed = _load(snapshot, tmp / "q-parsed", True, monkeypatch)
    assert parsed.summary == text.summary
    for name, frame in text.snapshot.tables.items():
        pd.testing.assert_frame_equal(parsed.snapshot[name], frame)
    written = sorted(p.name for p in (tmp / "q-text").iterdir())
    assert sorted(p.name for p in (tmp / "q-parsed").iterdir()) == written
    for name in written:
        assert (tmp / "q-parsed" / name).read_bytes() == (tmp / "q-text" / name).read_bytes()
    return parsed


def _csv(header: list[str], rows: list[list[str]], quote_all: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
                        lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def test_a_clean_file_is_read_with_its_numbers_and_times_parsed(tmp_path: Path) -> None:
    snapshot = write_clean_snapshot(tmp_path / "clean")
    (snapshot / "orders.csv").write_text(_csv(
        ["order_id", "buyer_id", "shop_id", "creator_id", "amount", "currency", "placed_at",
         "status", "refunded_at"],
        [["o1", "b1", "s1", "c1", "10.5", "USD", "2026-02-01T10:00:00Z", "completed", ""]], False))
    spec = TABLES_BY_NAME["orders"]
    raw = read_table_parsed(snapshot / "orders.csv", parsed_types(spec))
    assert raw is not None and raw.parsed
    assert raw.table["placed_at"].type == TIMESTAMP_TYPE
    assert raw.table["amount"].type == pa.large_string()  # numbers stay text: see the next test
    assert raw.table["order_id"].type == pa.large_string()  # as pandas holds text: no copy
    # A time without an offset is UTC to the validator, but not to a read into UTC times.
    assert read_table_parsed(snapshot / "creators.csv", parsed_types(TABLES_BY_NAME["creators"])) \
        is None


def test_a_number_longer_than_the_size_limit_is_quarantined_either_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # pyarrow parses a zero-filled or padded number of any length: read as a number, the
    # value would load where its text is refused for its size, so numbers stay text.
    snapshot = write_clean_snapshot(tmp_path / "snapshot")
    long_numbers = ["0" * MAX_VALUE_BYTES + "1.5", " " * MAX_VALUE_BYTES + "2"]
    orders = [[f"o{i}", "b1", "s1", "c1", amount, "USD", "2026-02-01T10:00:00Z", "completed", ""]
              for i, amount in enumerate(["3", *long_numbers])]
    (snapshot / "orders.csv").write_text(_csv(
        ["order_id", "buyer_id", "shop_id", "creator_id", "amount", "currency", "placed_at",
         "status", "refunded_at"], orders, False))
    loaded = _assert_same_load(snapshot, tmp_path, monkeypatch)
    assert loaded.summary.table("orders").reasons == {"oversized_value": 2}
    assert all(t in (TIMESTAMP_TYPE,) for t in parsed_types(TABLES_BY_NAME["orders"]).values())


def test_the_clean_and_the_bad_snapshot_load_the_same_either_way(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _assert_same_load(write_clean_snapshot(tmp_path / "clean"), tmp_path / "c", monkeypatch)
    bad = _assert_same_load(write_bad_snapshot(tmp_path / "bad"), tmp_path / "b", monkeypatch)
    assert bad.summary.quarantined > 0


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=6),
       times=st.lists(st.sampled_from(TIMES), min_size=6, max_size=6),
       events=st.lists(st.sampled_from(INTEGERS), min_size=1, max_size=6),
       quote_all=st.booleans())
def test_any_number_or_time_loads_the_same_parsed_or_as_text(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
        amounts: list[str], times: list[str], events: list[str], quote_all: bool) -> None:
    tmp = tmp_path_factory.mktemp("parsed")
    snapshot = write_clean_snapshot(tmp / "snapshot")
    orders = [[f"o{i}", "b1", "s1", "c1", amount, "USD", times[i % 6], "completed",
               times[(i + 1) % 6]] for i, amount in enumerate(amounts)]
    (snapshot / "orders.csv").write_text(_csv(
        ["order_id", "buyer_id", "shop_id", "creator_id", "amount", "currency", "placed_at",
         "status", "refunded_at"], orders, quote_all))
    links = [["buyer", f"b{i}", "device", f"d{i}", times[(i + 2) % 6], times[(i + 3) % 6], n]
             for i, n in enumerate(events)]
    (snapshot / "identity_links.csv").write_text(_csv(
        ["account_type", "account_id", "identifier_type", "identifier", "first_seen",
         "last_seen", "events"], links, quote_all))
    commissions = [[f"cm{i}", f"o{i}", "c1", "s1", amounts[-1 - i], amounts[i], times[i % 6],
                    "paid"] for i in range(len(amounts))]
    (snapshot / "commissions.csv").write_text(_csv(
        ["commission_id", "order_id", "creator_id", "shop_id", "amount", "rate", "created_at",
         "status"], commissions, quote_all))
    _assert_same_load(snapshot, tmp, monkeypatch)


def test_padded_signed_and_offset_values_parse_as_their_text_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snapshot = write_clean_snapshot(tmp_path / "snapshot")
    amounts = [" 10.5", "+4", "1e2", ".5", "5.", "\t3", "-0", "7 "]
    times = ["2026-02-01T10:00:00+02:00", "2026-02-01T10:00:00.123456Z", "2026-02-01 10:00:00Z",
             "2026-02-01T10:00:00-0530", "2026-02-01T10Z", "2026-02-01T10:00:00.1Z",
             "2026-02-01T23:59:59-05", "2026-02-01T10:00:00Z"]
    orders = [[f"o{i}", "b1", "s1", "c1", amount, "USD", times[i], "refunded", times[-1 - i]]
              for i, amount in enumerate(amounts)] + \
        [["o9", "b1", "s1", "", "1", "USD", times[0], "completed", ""]]
    text = _csv(["order_id", "buyer_id", "shop_id", "creator_id", "amount", "currency",
                 "placed_at", "status", "refunded_at"], orders, True)
    (snapshot / "orders.csv").write_text(text)
    raw = read_table_parsed(snapshot / "orders.csv", parsed_types(TABLES_BY_NAME["orders"]))
    assert raw is not None  # every value parsed: the parsed read is the one compared
    loaded = _assert_same_load(snapshot, tmp_path, monkeypatch)
    assert loaded.summary.table("orders").quarantined == 0
    assert loaded.snapshot["orders"]["amount"].tolist()[:3] == [10.5, 4.0, 100.0]
    assert loaded.snapshot["orders"]["placed_at"].iloc[0].isoformat() == "2026-02-01T08:00:00+00:00"


def _links_parquet(path: Path, account_types: pa.Array) -> None:
    n = len(account_types)
    pq.write_table(pa.table({
        "account_type": account_types,
        "account_id": pa.array(["c1", "c2", "c3", "b1"][:n]),
        "identifier_type": pa.array(["device"] * n),
        "identifier": pa.array([f"d{i}" for i in range(n)]),
        "first_seen": pa.array(["2026-01-01T00:00:00Z"] * n),
    }), path)


@pytest.mark.parametrize("given", [["creator", "creator", "creator", "buyer"],
                                   ["creator", "Creator", "robot", "buyer"]])
def test_a_parquet_column_of_domain_words_loads_alike_as_dictionary_or_text(
        tmp_path: Path, given: list[str]) -> None:
    # The dictionary holds a word no row uses ("seller ", padded): its values only spare a pass
    # when they are all domain words; otherwise the rows are checked as before.
    loads = []
    for kind in ("text", "dictionary"):
        snapshot = write_clean_snapshot(tmp_path / kind)
        (snapshot / "identity_links.csv").unlink()
        values = pa.array(given, pa.string())
        if kind == "dictionary":
            words = pa.array(["creator", "buyer", "seller ", "Creator", "robot"])
            values = pa.DictionaryArray.from_arrays(
                pa.array([words.to_pylist().index(v) for v in given], pa.int32()), words)
        _links_parquet(snapshot / "identity_links.parquet", values)
        loads.append(load_snapshot(snapshot, quarantine_dir=tmp_path / f"q-{kind}"))
    text, dictionary = loads
    assert dictionary.summary.as_dict()["tables"] == text.summary.as_dict()["tables"]
    pd.testing.assert_frame_equal(dictionary.snapshot["identity_links"],
                                  text.snapshot["identity_links"])
    quarantined = sorted(p.name for p in (tmp_path / "q-text").iterdir())
    assert quarantined == sorted(p.name for p in (tmp_path / "q-dictionary").iterdir())
    for name in quarantined:
        assert (tmp_path / "q-dictionary" / name).read_bytes() == \
            (tmp_path / "q-text" / name).read_bytes()
    assert text.summary.table("identity_links").quarantined == (0 if given[1] == "creator" else 1)
