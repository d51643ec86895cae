"""Maintenance on the web: the staff's review pages, and the form village staff fill in on the phone."""
