"""Scheduled work on APScheduler: reminders, sweeps and digests (the deadlines issue builds it)."""
