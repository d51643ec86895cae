"""Deadlines: the yearly calendar, tasks per region, the deadlines other features imply, reminders."""
