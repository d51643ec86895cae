"""Tests: complaints."""
