"""Integration fixtures shared across modules."""

from tests.integration.drop_fixtures import drop_world

__all__ = ["drop_world"]
