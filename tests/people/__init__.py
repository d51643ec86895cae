"""Tests: people."""
