"""Scheduling: the scheduler's lease and the state of its jobs."""
