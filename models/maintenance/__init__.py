"""Maintenance (管护): records with photos as evidence, damage reports and repairs, the chat's field sessions."""
