"""The web app at the HTML level, in process: sign-in, sessions, CSRF, isolation, the pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from attest.runtime import Runtime
from tests.web.conftest import TestClient, csrf_of, sign_in
from tests.web.seed import (
    ATTRIBUTIONS,
    BANK_A,
    BANK_A_NAME,
    BANK_B,
    BANK_B_NAME,
    CREDIT,
    FRAUD,
    PASSWORD,
    PERSONAL,
    REASONS,
    tamper,
)

SESSION = "__Host-attest_session"
PAGES_A = [
    "/",
    f"/tenants/{BANK_A}",
    f"/tenants/{BANK_A}/systems/{CREDIT}",
    f"/tenants/{BANK_A}/decisions",
    f"/tenants/{BANK_A}/decisions?label=decline&adverse=yes",
    f"/tenants/{BANK_A}/decisions/a-003",
    f"/tenants/{BANK_A}/systems/{CREDIT}/fairness",
]
PAGES_B = [
    f"/tenants/{BANK_B}",
    f"/tenants/{BANK_B}/systems/{FRAUD}",
    f"/tenants/{BANK_B}/decisions",
    f"/tenants/{BANK_B}/decisions?adverse=yes",
    f"/tenants/{BANK_B}/decisions/b-001",
    f"/tenants/{BANK_B}/decisions/no-such-decision",  # same answer: existence does not leak
    f"/tenants/{BANK_B}/systems/no-such-system",
    f"/tenants/{BANK_B}/systems/{FRAUD}/fairness",
]
UserClient = Callable[[str], TestClient]


def _set_cookies(response: object) -> dict[str, str]:
    """Set-Cookie headers by cookie name (raw header lines)."""
    lines = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    return {line.split("=", 1)[0]: line for line in lines}


def _attributes(line: str) -> set[str]:
    return {part.strip().split("=")[0].lower() for part in line.split(";")[1:]}


def _badge(html: str) -> str:
    found = re.search(r'id="proof-badge"[^>]*>([^<]*)<', html)
    assert found, "the page has no proof badge"
    return found.group(1).strip()


# -- authentication ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES_A + PAGES_B)
def test_every_page_needs_a_signed_in_user(client: TestClient, path: str) -> None:
    for cookie in (None, "forged", "A" * 200):
        if cookie:
            client.cookies.set(SESSION, cookie)
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
        assert BANK_A_NAME not in answer.text and BANK_B_NAME not in answer.text


def test_sign_in_returns_to_the_page_asked_for_without_putting_it_in_the_url(
    client: TestClient,
) -> None:
    wanted = f"/tenants/{BANK_A}/decisions?label=decline"
    assert client.get(wanted).headers["location"] == "/login"
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303 and answer.headers["location"] == wanted


def test_failed_sign_ins_all_get_one_generic_message(
    app_client: Callable[..., TestClient], seeded: Runtime
) -> None:
    seeded.access.add_user("gone", PASSWORD, ["auditor"], [BANK_A])
    with seeded.engine.begin() as conn:
        conn.execute(
            text("UPDATE users SET disabled_at = :now WHERE username = 'gone'"),
            {"now": datetime.now(UTC)},
        )
    answers = []
    for username, password in [
        ("alice", "wrong password, long enough"),
        ("nobody", PASSWORD),
        ("gone", PASSWORD),
        ("Not A Valid Name!", PASSWORD),
        ("alice", ""),
        ("alice", "x" * 5000),
    ]:
        client = app_client()
        answer = sign_in(client, username, password)
        assert answer.status_code == 401
        assert SESSION not in _set_cookies(answer)
        answers.append(re.findall(r'class="error"[^>]*>([^<]*)<', answer.text))
    assert all(found == ["Wrong username or password."] for found in answers)


def test_the_session_cookie_is_httponly_secure_samesite_and_sealed(client: TestClient) -> None:
    answer = sign_in(client, "alice")
    assert answer.status_code == 303
    line = _set_cookies(answer)[SESSION]
    assert {"httponly", "secure", "samesite", "path"} <= _attributes(line)
    assert "samesite=lax" in line.lower() and "path=/" in line.lower()
    assert not {"domain", "max-age", "expires"} & _attributes(line)  # __Host-, ends with browser
    value = SimpleCookie(line)[SESSION].value
    assert "alice" not in value and len(value) > 60  # encrypted, not merely signed
    assert client.get("/").status_code == 200


def test_over_local_http_the_cookies_drop_the_secure_flag_when_configured(
    seeded: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from attest.api import create_app

    monkeypatch.setenv("ATTEST_WEB_SECURE_COOKIES", "false")
    client = TestClient(create_app(seeded), base_url="http://testserver", follow_redirects=False)
    answer = sign_in(client, "alice")
    line = _set_cookies(answer)["attest_session"]
    assert "secure" not in _attributes(line) and "httponly" in _attributes(line)
    assert client.get("/").status_code == 200


def test_over_http_with_secure_cookies_the_sign_in_page_warns(
    app_client: Callable[..., TestClient],
) -> None:
    assert "plain HTTP" in app_client("http://testserver").get("/login").text
    assert "plain HTTP" not in app_client().get("/login").text
    assert "plain HTTP" not in app_client("http://127.0.0.1:8000").get("/login").text


def test_sessions_expire_when_idle_and_after_the_maximum_age(
    app_client: Callable[..., TestClient],
) -> None:
    sessions = app_client().app.state.web.sessions  # type: ignore[attr-defined]
    real = sessions.clock
    try:
        for minutes, allowed in [(29, True), (31, False)]:
            client = app_client()
            sign_in(client, "alice")
            sessions.clock = lambda m=minutes: real() + m * 60
            assert (client.get("/").status_code == 200) is allowed
            sessions.clock = real
        # Kept busy, a session still ends 8 hours after sign-in.
        client = app_client()
        sign_in(client, "alice")
        for minutes in range(20, 8 * 60, 20):
            sessions.clock = lambda m=minutes: real() + m * 60
            assert client.get("/").status_code == 200, minutes
        sessions.clock = lambda: real() + 8 * 3600 + 60
        assert client.get("/").status_code == 303
    finally:
        sessions.clock = real


def test_a_disabled_user_or_a_changed_password_ends_the_session(
    as_user: UserClient, seeded: Runtime
) -> None:
    dora, paul = as_user("dora"), as_user("paul")
    assert dora.get("/").status_code == 200 and paul.get("/").status_code == 200
    with seeded.engine.begin() as conn:
        conn.execute(
            text("UPDATE users SET disabled_at = :now WHERE username = 'dora'"),
            {"now": datetime.now(UTC)},
        )
    seeded.access.store.set_password("paul", PasswordHasher().hash("a brand new password"))
    try:
        assert dora.get("/").headers["location"] == "/login"
        assert paul.get("/").headers["location"] == "/login"
    finally:
        with seeded.engine.begin() as conn:
            conn.execute(text("UPDATE users SET disabled_at = NULL WHERE username = 'dora'"))
        seeded.access.store.set_password("paul", PasswordHasher().hash(PASSWORD))


# -- CSRF and logout -----------------------------------------------------------------------------


def test_sign_in_without_the_forms_token_is_refused(app_client: Callable[..., TestClient]) -> None:
    client = app_client()
    client.get("/login")
    other = app_client()
    foreign_token = csrf_of(other.get("/login").text)
    for token in (None, "", "guessed", foreign_token):
        data = {"username": "alice", "password": PASSWORD}
        if token is not None:
            data["csrf_token"] = token
        answer = client.post("/login", data=data)
        assert answer.status_code == 403 and SESSION not in _set_cookies(answer)
    # No sign-in form cookie at all (a post from another site's page).
    answer = app_client().post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": foreign_token}
    )
    assert answer.status_code == 403 and SESSION not in _set_cookies(answer)


def test_a_cross_site_post_is_refused_even_with_the_token(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "csrf_token": token},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert answer.status_code == 403


def test_sign_out_needs_the_sessions_token(as_user: UserClient) -> None:
    client = as_user("alice")
    for data in ({}, {"csrf_token": "guessed"}):
        assert client.post("/logout", data=data).status_code == 403
    assert client.get("/").status_code == 200  # still signed in


def test_sign_out_ends_the_session_even_for_a_copy_of_the_cookie(as_user: UserClient) -> None:
    client = as_user("alice")
    page = client.get("/")
    stolen = client.cookies.get(SESSION)
    answer = client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    deleted = _set_cookies(answer)[SESSION]
    assert "max-age=0" in deleted.lower() and "secure" in _attributes(deleted)
    assert client.get("/").headers["location"] == "/login"
    client.cookies.set(SESSION, stolen or "")
    assert client.get("/").headers["location"] == "/login"
    assert client.get("/logout").status_code == 405  # no sign-out by link


# -- roles and tenants ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES_B)
def test_a_user_of_bank_a_gets_403_for_bank_b(as_user: UserClient, path: str) -> None:
    answer = as_user("alice").get(path)
    assert answer.status_code == 403
    assert BANK_B_NAME not in answer.text and "b-001" not in answer.text


def test_lists_show_only_the_tenants_a_user_may_reach(as_user: UserClient) -> None:
    alice = as_user("alice").get("/").text
    assert BANK_A_NAME in alice and BANK_B_NAME not in alice and BANK_B not in alice
    bob = as_user("bob").get("/").text
    assert BANK_B_NAME in bob and BANK_A_NAME not in bob and BANK_A not in bob
    for path in PAGES_A[1:]:
        assert as_user("bob").get(path).status_code == 403
    vera = as_user("vera")
    assert BANK_A_NAME in vera.get("/").text and BANK_B_NAME in vera.get("/").text
    assert vera.get(f"/tenants/{BANK_B}/decisions/b-001").status_code == 200
    assert vera.get("/tenants/bank-zz/decisions").status_code == 404
    assert as_user("alice").get("/tenants/bank-zz/decisions").status_code == 403


def test_every_page_is_read_only_and_sends_protective_headers(as_user: UserClient) -> None:
    client = as_user("alice")
    for path in PAGES_A:
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"].startswith("text/html")
        csp = answer.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert answer.headers["cache-control"] == "no-store"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert not any(value in answer.text for value in PERSONAL)
        assert "<script" not in answer.text
    assert client.get("/static/attest.css").status_code == 200


def test_links_carry_no_personal_data(as_user: UserClient) -> None:
    client = as_user("alice")
    for path in PAGES_A:
        for href in re.findall(r'href="([^"]+)"', client.get(path).text):
            query = urlsplit(href.replace("&amp;", "&")).query
            assert "applicant" not in href and "subject" not in query, href


def test_the_web_pages_are_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert all(path.startswith("/api/") for path in paths)


# -- the screens ---------------------------------------------------------------------------------


def test_the_inventory_shows_each_systems_record(as_user: UserClient) -> None:
    html = as_user("alice").get(f"/tenants/{BANK_A}").text
    for expected in (
        "Credit underwriting",
        "Recommend approve or decline for consumer loans",
        "credit",
        "US-CO, EU",
        "high",
        "Consequential credit decisions (EU AI Act Annex III 5(b))",
        "deployed",
    ):
        assert expected in html


def test_the_system_page_shows_its_model_versions(as_user: UserClient, seeded: Runtime) -> None:
    html = as_user("alice").get(f"/tenants/{BANK_A}/systems/{CREDIT}").text
    for version in seeded.inventory.model_versions(BANK_A, CREDIT):
        assert version.artifact_sha256 in html
        assert f'id="version-{version.version}"' in html
    expected = ["scikit-learn 1.9", "0 to 100000", "6 to 72", "car, home", "integer", "approved"]
    expected += ["Not validated for business loans", "loan book 2019-2024"]
    assert all(item in html for item in expected)


def _ids(html: str) -> list[str]:
    return re.findall(r'<a href="/tenants/bank-a/decisions/([^"]+)">', html)


def test_the_explorer_filters_and_pages_newest_first(as_user: UserClient) -> None:
    client = as_user("alice")
    base = f"/tenants/{BANK_A}/decisions"
    first = client.get(base).text
    ids = _ids(first)
    assert ids[:3] == ["a-tamper", "a-unknown", "a-030"] and len(ids) == 25
    older = re.search(r'<a href="(\?[^"]+)" rel="next">', first)
    assert older
    rest = _ids(client.get(base + older.group(1).replace("&amp;", "&")).text)
    assert rest == [f"a-{n:03d}" for n in range(7, 0, -1)]

    declines = _ids(client.get(base + "?label=decline").text)
    assert declines == ["a-unknown"] + [f"a-{n:03d}" for n in range(30, 0, -3)]
    assert _ids(client.get(base + "?adverse=yes").text) == declines
    assert _ids(client.get(base + "?adverse=no&label=decline").text) == []
    assert _ids(client.get(base + "?flagged=yes").text) == ["a-unknown"]
    v1 = _ids(client.get(base + "?model_version=v1&system=credit-underwriting").text)
    assert v1 == [f"a-{n:03d}" for n in range(19, 0, -1)]
    now = datetime.now(UTC)
    hour_ago = (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    in_an_hour = (now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert len(_ids(client.get(base + f"?since={hour_ago}&until={in_an_hour}").text)) == 25
    assert _ids(client.get(base + f"?since={in_an_hour}").text) == []
    assert _ids(client.get(base + f"?until={hour_ago}").text) == []
    for bad in ("?since=yesterday", "?adverse=maybe", "?before=-1", "?system=Bad!"):
        answer = client.get(base + bad)
        assert answer.status_code == 400 and "filter" in answer.text


def test_the_decision_page_shows_the_record_its_factors_and_a_real_proof(
    as_user: UserClient, seeded: Runtime
) -> None:
    html = as_user("alice").get(f"/tenants/{BANK_A}/decisions/a-003").text
    size = seeded.ledger.latest_checkpoint(BANK_A).size
    assert _badge(html) == f"✔ Verified in checkpoint {size}"
    assert 'class="label-value">decline<' in html
    assert "<dd>0.31</dd>" in html and "<dd>0.5</dd>" in html  # score and threshold
    assert "<td>1750</td>" in html and "<td>car</td>" in html  # inputs
    for code in REASONS:
        assert code in html
    assert "withdrawn" in html  # the outcome that followed
    bars = re.findall(r'<g class="factor" data-feature="([^"]+)" data-value="([^"]+)"', html)
    assert [name for name, _ in bars] == sorted(ATTRIBUTIONS, key=lambda k: -abs(ATTRIBUTIONS[k]))
    assert [float(value) for _, value in bars] == [ATTRIBUTIONS[name] for name, _ in bars]
    rects = re.findall(r'<rect class="bar [^"]+" x="[^"]+" y="[^"]+" width="([^"]+)"', html)
    widths = [float(w) for w in rects]
    assert len(widths) == len(ATTRIBUTIONS) and widths == sorted(widths, reverse=True)
    assert "bar-neg" in html and "bar-pos" in html

    flagged = as_user("alice").get(f"/tenants/{BANK_A}/decisions/a-unknown").text
    assert "unknown_model_version" in flagged and "not in the inventory" in flagged
    assert as_user("alice").get(f"/tenants/{BANK_A}/decisions/nope").status_code == 404


def test_a_tampered_entry_gets_the_failure_badge(as_user: UserClient, seeded: Runtime) -> None:
    client = as_user("vera")
    path = f"/tenants/{BANK_A}/decisions/a-tamper"
    assert _badge(client.get(path).text).startswith("✔ Verified in checkpoint")
    tamper(seeded, BANK_A, "a-tamper")
    html = client.get(path).text
    assert _badge(html) == "✘ Verification failed"
    assert "is not in the signed tree" in html
    assert _badge(client.get(f"/tenants/{BANK_A}/decisions/a-001").text).startswith("✔")


def test_a_query_table_that_disagrees_with_the_log_gets_the_failure_badge(
    as_user: UserClient, seeded: Runtime
) -> None:
    client = as_user("alice")
    path = f"/tenants/{BANK_A}/decisions/a-002"
    change = "UPDATE decisions SET score = :score WHERE tenant = 'bank-a' AND decision_id = 'a-002'"
    with seeded.engine.begin() as conn:
        conn.execute(text(change), {"score": 0.99})
    try:
        html = client.get(path).text
        assert _badge(html) == "✘ Verification failed"
        assert "the query table disagrees with the logged entry on: score" in html
        assert "<dd>0.82</dd>" in html  # the page shows what the log holds
    finally:
        with seeded.engine.begin() as conn:
            conn.execute(text(change), {"score": 0.82})
    assert _badge(client.get(path).text).startswith("✔ Verified in checkpoint")


def test_the_explorer_shows_the_times_it_filters_on(as_user: UserClient) -> None:
    html = as_user("alice").get(f"/tenants/{BANK_A}/decisions?since=2020-01-01T00:00Z").text
    assert 'name="since" type="datetime-local" step="1" value="2020-01-01T00:00:00"' in html
