"""Public notices (公告公示)."""
