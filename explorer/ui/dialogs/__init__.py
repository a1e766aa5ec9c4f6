"""Dialogs: save review, conflict, diff, history and audit (and the connection dialog)."""
