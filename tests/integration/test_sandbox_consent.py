"""The sandbox's Spotify consent page: the app's name, scopes in words, and the three choices."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from spotipy.exceptions import SpotifyException

from sandbox import consent
from sandbox.__main__ import knobs_from, parse_args
from tests.integration.sandbox_fixtures import REDIRECT_URI, Running, start

APP = "Night Bloom alerts"
SCOPE = "user-library-modify user-follow-modify"


@pytest.fixture
def named() -> Iterator[Running]:
    """A sandbox whose consent page names the app APP."""
    running = start(app_name=APP)
    yield running
    running.http.close()
    running.server.shutdown()


def query(location: str) -> dict[str, str]:
    """The query parameters of a redirect Location."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def choose(running: Running, user_id: str, decision: str, **fields: str) -> tuple[int, str]:
    """Post a decision on the consent page (fields override the form); the status and the
    Location (or body)."""
    return post(running, {"user_id": user_id, "decision": decision} | fields)


def post(running: Running, fields: dict[str, str]) -> tuple[int, str]:
    """Post the consent form with these fields over the defaults."""
    url = running.oauth(scope=SCOPE).get_authorize_url(state="st-9")
    form = {"country": "FR", "product": "premium"} | fields
    answer = running.http.post(url, data=form, allow_redirects=False)
    return answer.status_code, answer.headers.get("Location", answer.text)


def test_the_page_names_the_app_the_scopes_in_words_and_the_user(named: Running) -> None:
    url = named.oauth(scope=SCOPE + " user-read-private").get_authorize_url(state="st-9")
    page = named.http.get(url)
    assert page.status_code == 200
    assert f"You agree that <strong>{APP}</strong> will be able to:" in page.text
    assert "Add and remove items in your Library" in page.text
    assert "Follow and unfollow artists and users for you" in page.text
    assert "See your country, subscription and explicit-content settings" in page.text
    assert "Signed in as <strong>fan-" in page.text
    for value in ("approve", "deny", "outsider"):
        assert f'name="decision" value="{value}"' in page.text
    assert ">Not on the app's allow-list (development mode)</button>" in page.text
    assert "<script" not in page.text and "style=" not in page.text
    assert "style-src 'self'" in page.headers["Content-Security-Policy"]
    css = named.http.get(f"{named.base}/accounts/consent.css")
    assert css.status_code == 200 and ":focus-visible" in css.text


def test_a_scope_without_words_is_shown_as_it_is(named: Running) -> None:
    url = named.oauth(scope="user-library-modify ugc-image-upload").get_authorize_url()
    page = named.http.get(url).text
    assert "Upload images for you" in page
    assert "<li>made-up-scope</li>" in consent.scope_items(["made-up-scope"])


def test_approve_issues_a_code_that_works(named: Running) -> None:
    status, location = choose(named, "fan-approve", "approve")
    assert status == 302 and location.startswith(REDIRECT_URI)
    params = query(location)
    assert params["state"] == "st-9"
    oauth = named.oauth(scope=SCOPE)
    token = oauth.get_access_token(params["code"], as_dict=False, check_cache=False)
    assert named.spotify(token).me()["id"] == "fan-approve"
    user = named.admin("users/fan-approve")
    assert (user["country"], user["allowlisted"], user["outsider"]) == ("FR", True, False)


def test_deny_redirects_with_access_denied_and_makes_no_user(named: Running) -> None:
    status, location = choose(named, "fan-deny", "deny")
    assert status == 302 and location.startswith(REDIRECT_URI)
    assert query(location) == {"error": "access_denied", "state": "st-9"}
    missing = named.http.get(f"{named.base}/_sandbox/users/fan-deny")
    assert missing.status_code == 404


def test_outsider_signs_in_but_the_web_api_answers_403(named: Running) -> None:
    status, location = choose(named, "fan-outside", "outsider")
    assert status == 302
    code = query(location)["code"]
    token = named.oauth(scope=SCOPE).get_access_token(code, as_dict=False, check_cache=False)
    answer = named.http.get(f"{named.base}/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403
    assert "the user may not be registered" in answer.json()["error"]["message"]
    with pytest.raises(SpotifyException) as refused:
        named.spotify(token).current_user_saved_albums_add(["4aawyAB9vmqN3uQ7FjRGTy"])
    assert refused.value.http_status == 403
    # Approving later puts the same user back on the allow-list.
    status, location = choose(named, "fan-outside", "approve")
    code = query(location)["code"]
    token = named.oauth(scope=SCOPE).get_access_token(code, as_dict=False, check_cache=False)
    assert named.spotify(token).me()["id"] == "fan-outside"


@pytest.mark.parametrize(
    ("fields", "named_field"),
    [
        ({"decision": "accept"}, "decision"),
        ({"decision": ""}, "decision"),
        ({"user_id": "fan one<script>"}, "user_id"),
        ({"country": "France"}, "country"),
        ({"product": "family"}, "product"),
    ],
)
def test_bad_fields_are_a_400_naming_the_field(
    named: Running, fields: dict[str, str], named_field: str
) -> None:
    status, body = post(named, {"user_id": "fan-bad", "decision": "approve"} | fields)
    assert status == 400
    assert body.startswith(f"INVALID_REQUEST: {named_field} must be")
    assert named.http.get(f"{named.base}/_sandbox/users/fan-bad").status_code == 404


def test_the_command_line_sets_the_app_name() -> None:
    assert knobs_from(parse_args(["--app-name", APP]))["app_name"] == APP
    assert knobs_from(parse_args([]))["app_name"] == "Sandbox app"
