"""Ingestion: read files into located text, split it into chunks and index them."""
