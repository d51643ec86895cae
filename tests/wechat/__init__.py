"""Tests: wechat."""
