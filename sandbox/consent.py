"""The sandbox's Spotify consent page: the app's name, its scopes in words, the user, three
choices (approve, deny, and "not on the app's allow-list" as in development mode)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from werkzeug.wrappers import Response

DECISIONS = ("approve", "deny", "outsider")
PRODUCTS = ("premium", "free")
USER_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
# What each scope lets the app do, in the words a consent page shows.
SCOPE_WORDS = {
    "user-library-modify": "Add and remove items in your Library",
    "user-library-read": "See the items in your Library",
    "user-follow-modify": "Follow and unfollow artists and users for you",
    "user-follow-read": "See who you follow",
    "user-read-private": "See your country, subscription and explicit-content settings",
    "user-read-email": "See your email address",
    "playlist-read-private": "See your private playlists",
    "playlist-read-collaborative": "See your collaborative playlists",
    "playlist-modify-public": "Create, edit and follow your public playlists",
    "playlist-modify-private": "Create, edit and follow your private playlists",
    "user-top-read": "See your top artists and tracks",
    "user-read-recently-played": "See what you played recently",
    "user-read-playback-position": "See where you stopped in what you played",
    "user-read-playback-state": "See what you are playing and on which device",
    "user-read-currently-playing": "See what you are playing now",
    "user-modify-playback-state": "Control playback on your devices",
    "app-remote-control": "Control Spotify from the app",
    "streaming": "Play content in the app",
    "ugc-image-upload": "Upload images for you",
    "user-personalized": "Use your listening to personalise what you see",
}
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}
PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sandbox Spotify: connect {app}</title>
<link rel="stylesheet" href="consent.css"></head>
<body><main class="consent">
<p class="brand">Spotify <span>sandbox</span></p>
<h1>Log in as a sandbox user and connect <span class="app">{app}</span></h1>
<p>You agree that <strong>{app}</strong> will be able to:</p>
<ul class="scopes">{scopes}</ul>
<form method="post">{hidden}
<p class="who">Signed in as <strong>{user}</strong></p>
<details><summary>Sign in as another sandbox user</summary>
<p><label for="user_id">User id</label>
<input id="user_id" name="user_id" value="{user}" autocomplete="off"></p>
<p><label for="country">Country (two letters)</label>
<input id="country" name="country" value="US" size="2" maxlength="2"></p>
<p><label for="product">Subscription</label>
<select id="product" name="product"><option>premium</option><option>free</option></select></p>
</details>
<p class="note">You can remove this access at any time in your account settings.</p>
<div class="choices">
<button name="decision" value="approve" class="primary">Approve</button>
<button name="decision" value="deny">Deny</button>
<button name="decision" value="outsider">Not on the app's allow-list (development mode)</button>
</div>
<p class="note">The last choice signs in like a user missing from a development-mode app's
allow-list: the sign-in works, then every Web API call for this user answers 403.</p>
</form></main></body></html>
"""
CSS = """body{margin:0;background:#121212;color:#fff;font:16px/1.5 system-ui,sans-serif}
.consent{max-width:34rem;margin:0 auto;padding:1.5rem 1rem}
.brand{font-weight:700;color:#1ed760;font-size:1.25rem}.brand span{color:#b3b3b3;font-weight:400}
h1{font-size:1.6rem;line-height:1.25}.app{color:#1ed760}
.scopes{padding-left:1.25rem}.scopes li{margin:.35rem 0}
.scopes code{color:#b3b3b3;font-size:.85em}
.who{border-top:1px solid #333;padding-top:1rem}
details{margin:0 0 1rem}summary{cursor:pointer;color:#e0e0e0}
label{display:block;color:#e0e0e0}
input,select{font:inherit;padding:.4rem;border-radius:4px;border:1px solid #888;
background:#fff;color:#000}
.note{color:#b3b3b3;font-size:.9rem}
.choices{display:flex;flex-direction:column;gap:.75rem;margin:1rem 0}
button{font:inherit;font-weight:700;padding:.75rem 1rem;border-radius:2rem;cursor:pointer;
border:1px solid #b3b3b3;background:transparent;color:#fff}
button.primary{background:#1ed760;border-color:#1ed760;color:#000}
a,button,input,select,summary{outline-offset:3px}
:focus-visible{outline:3px solid #fff}
@media (min-width:40rem){.choices{flex-direction:row;flex-wrap:wrap}}
"""


class ConsentError(ValueError):
    """A consent form field the page does not accept; the message names it."""


@dataclass(frozen=True)
class Consent:
    """What the user chose on the consent page, and as whom (user_id "" = a new one)."""

    decision: str
    user_id: str
    country: str
    product: str


def scope_items(scopes: list[str]) -> str:
    """The <li> items of the requested scopes, in words (a scope with none shown as-is)."""
    items = []
    for scope in scopes:
        words = SCOPE_WORDS.get(scope)
        shown = f"{escape(words)} <code>{escape(scope)}</code>" if words else escape(scope)
        items.append(f"<li>{shown}</li>")
    return "".join(items) or "<li>Nothing beyond your public profile</li>"


def page(app_name: str, scopes: list[str], hidden: str, user: str) -> Response:
    """The consent page."""
    body = PAGE.format(
        app=escape(app_name), scopes=scope_items(scopes), hidden=hidden, user=escape(user)
    )
    return Response(body, content_type="text/html; charset=utf-8", headers=HEADERS)


def stylesheet() -> Response:
    """The page's stylesheet (the CSP allows no inline style)."""
    return Response(CSS, content_type="text/css; charset=utf-8", headers=HEADERS)


def read(form: Mapping[str, str]) -> Consent:
    """The posted choice and user fields, checked; ConsentError names a bad one."""
    decision = form.get("decision", "")
    if decision not in DECISIONS:
        raise ConsentError("decision must be approve, deny or outsider")
    user_id = form.get("user_id", "").strip()
    if user_id and not USER_ID_RE.fullmatch(user_id):
        raise ConsentError("user_id must be 1 to 64 letters, digits, dots, dashes or underscores")
    country = (form.get("country") or "US").strip().upper()
    if len(country) != 2 or not (country.isascii() and country.isalpha()):
        raise ConsentError("country must be a two-letter country code")
    product = form.get("product") or "premium"
    if product not in PRODUCTS:
        raise ConsentError("product must be premium or free")
    return Consent(decision, user_id, country, product)
