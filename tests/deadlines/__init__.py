"""Tests: deadlines."""
