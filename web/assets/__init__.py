"""The register's pages (台账): list, detail, forms, .xlsx import and export, cards, the public asset page."""
