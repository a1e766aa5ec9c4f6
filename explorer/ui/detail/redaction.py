"""Redaction mode in the UI: values masked in every view until revealed per item.

``Redaction`` is one shared object (created by the app, passed to every view
that shows values). While it is enabled, views show ``view_value`` /
``view_document`` results: masked copies made by ``RedactionRules`` from
``explorer.workspace.redact``. Revealing is per item (store + key) and is undone by
``hide`` or by switching redaction off and on. A masked value is never
editable: editors must check ``is_masked`` first, so a mask is never written.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction

from explorer.storage.base import Storage
from explorer.workspace.redact import RedactionRules


class Redaction(QObject):
    """Whether values are masked, with which rules, and which items are revealed."""

    changed = Signal()

    def __init__(
        self,
        rules: RedactionRules | None = None,
        *,
        enabled: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.rules = rules or RedactionRules()
        self._enabled = enabled
        self._revealed: set[tuple[int, str]] = set()

    def make_action(self, parent: QObject) -> QAction:
        """A checkable "Redaction mode" action (View menu) kept in sync with this object."""
        action = QAction("Redaction mode", parent)
        action.setCheckable(True)
        action.setChecked(self._enabled)
        action.setToolTip(
            "Mask names, emails, phone numbers and tokens in every view "
            "(for screenshots and screen sharing); reveal per item"
        )
        action.toggled.connect(self.set_enabled)
        self.changed.connect(lambda: action.setChecked(self._enabled))
        return action

    @property
    def enabled(self) -> bool:
        return self._enabled

    def set_enabled(self, enabled: bool) -> None:
        """Switch redaction mode; switching it on hides every revealed item again."""
        if enabled == self._enabled:
            return
        self._enabled = enabled
        self._revealed.clear()
        self.changed.emit()

    def set_rules(self, rules: RedactionRules) -> None:
        self.rules = rules
        self.changed.emit()

    def reveal(self, store: Storage, key: str) -> None:
        """Show the real values of one item (until ``hide`` or redaction is switched)."""
        self._revealed.add((id(store), key))
        self.changed.emit()

    def hide(self, store: Storage, key: str) -> None:
        self._revealed.discard((id(store), key))
        self.changed.emit()

    def is_revealed(self, store: Storage, key: str) -> bool:
        return (id(store), key) in self._revealed

    def is_masked(self, store: Storage | None, key: str | None) -> bool:
        """True if values of this item are shown masked now."""
        if not self._enabled or store is None or key is None:
            return self._enabled and store is None
        return not self.is_revealed(store, key)

    def view_value(self, store: Storage | None, key: str | None, name: str, value: Any) -> Any:
        """What to show for property ``name`` of an item: masked or as it is."""
        if not self.is_masked(store, key):
            return value
        return self.rules.mask_value(name, value)

    def view_document(self, store: Storage | None, key: str | None, document: Any) -> Any:
        """What to show for a whole document of an item."""
        if not self.is_masked(store, key):
            return document
        return self.rules.redact(document)

    def hides_anything(self, store: Storage | None, key: str | None, document: Any) -> bool:
        """True if masking changes something in ``document`` (worth a Reveal button)."""
        return self.is_masked(store, key) and self.rules.redact(document) != document
