"""Non-payer and scraping protection. Never imports uei/registry/: it is handed a key resolver."""
