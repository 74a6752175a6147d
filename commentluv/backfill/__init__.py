"""Backfill: backlinks for the comments a blog brings from its old engine."""
