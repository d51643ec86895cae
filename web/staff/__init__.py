"""人员管理 (web/staff/pages.py, xlsx.py) and one's own account (account.py)."""
