"""Non-payer and scraping protection. Never imports registry/: it is handed a key resolver."""
