"""The register (台账): assets and their fields, cards, the .xlsx import and export, the public page."""
