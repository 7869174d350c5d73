"""Handing the whole dataset to the next operator, and backups."""
