"""The fictional demo county 示范区, outside the domain: loaded by `guanhu demo load` (make run)."""
