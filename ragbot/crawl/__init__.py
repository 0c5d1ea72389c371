"""Crawling whole documentation sites: one URL document per page, grouped under a site, kept in sync."""
