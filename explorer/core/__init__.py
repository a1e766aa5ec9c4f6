"""Errors, items and small shared types. No I/O, no third-party imports."""
