"""Integration fixtures shared across modules."""

from tests.integration.artist_helpers import signed_in
from tests.integration.drop_fixtures import drop_world

__all__ = ["drop_world", "signed_in"]
