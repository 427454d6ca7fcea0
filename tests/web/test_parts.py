"""The web app's parts on their own: sealed cookies, safe redirects, and the factors chart."""

from __future__ import annotations

import pytest

from attest.web.chart import MAX_BARS, attribution_chart, format_signed
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
