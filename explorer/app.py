"""Composition root: QApplication, the qasync loop, stores, services, the window.

Filled in by the window work; the CLI's ``gui`` subcommand calls ``run_gui``.
"""
