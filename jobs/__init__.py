"""Scheduled work: APScheduler tick jobs under one lease (`scheduler`) and what they run (`reminders`)."""
