"""Alembic migrations of the guanhu schema (run them with `guanhu db upgrade`)."""
