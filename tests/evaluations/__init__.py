"""Tests: evaluations."""
