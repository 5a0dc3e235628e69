"""Integration fixtures shared across modules."""

from tests.integration.api_helpers import api, api_team
from tests.integration.artist_helpers import signed_in
from tests.integration.drop_fixtures import drop_world

__all__ = ["api", "api_team", "drop_world", "signed_in"]
