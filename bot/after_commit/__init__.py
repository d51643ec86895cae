"""Work queued on a unit of work, run once it has committed: pushes and slow work, by domain.

Each job is `job(session, *ids)`, so that any door can queue it and it can run in any session.
"""
