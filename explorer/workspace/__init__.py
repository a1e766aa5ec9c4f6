"""The explorer's application layer: what the window and the command line share.

Qt-free and ``async``. The window (``explorer.ui``) and the command line
(``explorer.cli``) are thin views over it; it stands on the bot library
(``explorer.state``) and the storage layer (``explorer.storage``).

It owns opening connections (store URL, saved ``@NAME`` profile, secrets,
environment fallbacks, the production read-only rule), edit sessions with
save orchestration and cross-item undo, write safety (backups, audit log,
redaction, the data paths), the state tree and its loading, locate and search,
and the demo store.
"""
