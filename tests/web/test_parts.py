"""The web app's parts on their own: sealed cookies, safe redirects, and the charts."""

from __future__ import annotations

import pytest

from attest.web.chart import (
    MAX_AIR_GROUPS,
    MAX_BARS,
    AirColumn,
    AirValue,
    air_chart,
    attribution_chart,
    format_signed,
)
from attest.web.fairness import window_text
from attest.web.session import LOGIN, SESSION, Sealer, derive_session_key, safe_next

MASTER = bytes(range(32))


def test_the_cookie_key_is_derived_from_the_master_key_for_this_purpose_only() -> None:
    key = derive_session_key(MASTER)
    assert key == derive_session_key(MASTER) and len(key) == 32
    assert key != MASTER and key != derive_session_key(bytes(range(1, 33)))


def test_sealed_cookies_cannot_be_read_changed_or_used_for_another_purpose() -> None:
    sealer = Sealer(derive_session_key(MASTER))
    token = sealer.seal(SESSION, {"u": "alice", "csrf": "t"})
    assert sealer.open(SESSION, token) == {"u": "alice", "csrf": "t"}
    assert "alice" not in token
    assert sealer.open(LOGIN, token) is None
    assert Sealer(derive_session_key(bytes(32))).open(SESSION, token) is None
    for at in range(0, len(token), 7):
        changed = token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]
        assert sealer.open(SESSION, changed) is None
    for junk in (None, "", "!!!", "A" * 5000):
        assert sealer.open(SESSION, junk) is None
    assert sealer.seal(SESSION, {"u": "alice"}) != sealer.seal(SESSION, {"u": "alice"})


@pytest.mark.parametrize(
    ("wanted", "goes_to"),
    [
        ("/tenants/bank-a/decisions?label=decline", "/tenants/bank-a/decisions?label=decline"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/login", "/"),
        ("/ok\nSet-Cookie: x", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_after_sign_in_the_browser_only_goes_to_this_site(wanted: str | None, goes_to: str) -> None:
    assert safe_next(wanted) == goes_to


def test_the_chart_draws_signed_bars_longest_first() -> None:
    chart = attribution_chart({"a": 0.1, "b": -0.4, "c": 0.2, "skip": "text", "flag": True})
    assert chart is not None
    assert [b.feature for b in chart.bars] == ["b", "c", "a"]
    negative, positive = chart.bars[0], chart.bars[1]
    assert negative.x + negative.width == pytest.approx(chart.axis_x) and not negative.positive
    assert positive.x == chart.axis_x and positive.positive
    assert negative.width > positive.width > chart.bars[2].width > 0
    assert [b.value_text for b in chart.bars] == ["\u22120.4", "+0.2", "+0.1"]
    assert attribution_chart({}) is None and attribution_chart(None) is None
    many = attribution_chart({f"f{i}": float(i + 1) for i in range(MAX_BARS + 5)})
    assert many is not None and len(many.bars) == MAX_BARS and many.omitted == 5
    long = attribution_chart({"x" * 100: 1.0})
    assert long is not None and len(long.bars[0].label) <= 24
    assert format_signed(123456.7) == "+123457" and format_signed(0.0) == "+0"


def test_the_air_chart_puts_each_run_in_its_column_with_intervals_and_the_threshold() -> None:
    def run(name: str, young: float | None, outcome: str = "flag") -> AirColumn:
        values = (
            AirValue("older", 1.0, None, None, "pass"),
            AirValue("young", young, 0.3, 0.9, outcome),
            AirValue("none", None, None, None, "no_data"),
        )
        return AirColumn(name, f"day of {name}", values)

    chart = air_chart([run("r1", 0.5), run("r2", 0.7), run("r3", None, "no_data")])
    assert chart is not None
    young = [p for p in chart.points if p.group == "young"]
    assert [p.run_id for p in young] == ["r1", "r2"]  # a missing ratio is not drawn
    assert young[0].x < young[1].x and young[0].y > young[1].y  # later, and higher
    assert all(p.y_high is not None and p.y_low is not None for p in young)
    assert all(p.y_high < p.y < p.y_low for p in young)  # type: ignore[operator]
    assert chart.parity_y < chart.threshold_y < young[1].y  # 1.0 above 0.8 above 0.7
    assert {p.group for p in chart.points} == {"older", "young"}
    assert [entry.group for entry in chart.legend] == ["older", "young"]
    assert {p.series for p in chart.points if p.group == "older"} == {0}
    assert chart.ticks[0].value == 0.0 and chart.ticks[-1].value >= 1.0
    assert chart.bottom - chart.top == pytest.approx(chart.ticks[0].y - chart.ticks[-1].y)

    wide = air_chart([AirColumn("r", "d", (AirValue("g", 5.0, 2.5, 9.0, "pass"),))])
    assert wide is not None and wide.points[0].clipped and wide.points[0].y == wide.top
    assert air_chart([run("r", None)]) is not None  # "older" still has a ratio
    assert air_chart([AirColumn("r", "d", (AirValue("g", None, None, None, "no_data"),))]) is None
    many = air_chart(
        [AirColumn("r", "d", tuple(AirValue(f"g{i}", 1.0, None, None, "pass") for i in range(20)))]
    )
    assert many is not None and many.omitted_groups == 20 - MAX_AIR_GROUPS


def test_a_window_of_whole_days_reads_as_days() -> None:
    assert window_text("2026-07-01T00:00:00.000000Z", "2026-08-01T00:00:00.000000Z") == (
        "2026-07-01 to 2026-07-31"
    )
    assert window_text(None, None) == "all decisions"
    assert window_text("2026-07-01T10:30:00Z", None) == "2026-07-01 10:30:00 UTC up to now"
