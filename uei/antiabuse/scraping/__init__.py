"""Scraping protection: per-BAP quotas, search and funnel events, behaviour features,
anomaly scoring and graded actions."""
