"""Signing in: sessions kept on the server (revocable), and limits on failed attempts."""
