"""Alembic migrations of the presave schema."""
