"""Complaints on the web: the villagers' forms and tracking pages, and the staff's handling pages."""
