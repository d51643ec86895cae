"""Staff administration: accounts made, changed, stopped and restarted by those who manage them,
one-time links to set a password, and the roster a town keeps imported from .xlsx."""
