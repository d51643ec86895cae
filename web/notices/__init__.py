"""Public notices on the web: the village boards, a notice's page and its objection form, and the
staff's pages (list, publish, poster, withdraw)."""
