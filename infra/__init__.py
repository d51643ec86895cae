"""The integrations every door (web, bot, jobs) uses: settings, the database and its unit of work,
the clock, media storage and background work. Each has `init_app(app)` and accessors; this
package imports no door."""
