"""Tests: scheduling."""
