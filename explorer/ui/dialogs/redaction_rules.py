"""``RedactionRulesDialog``: edit which values Redaction mode masks; kept in QSettings.

The rules are ``explorer.workspace.redact.RedactionRules``: property-name patterns
(one regex per line, matched against the whole name with case, ``_``, ``-``
and spaces ignored), value patterns (``label: regex`` per line, searched in
string values anywhere) and the mask text. OK checks every regex first: a bad
one is named in the dialog and nothing changes. Accepted rules go to the
shared ``Redaction`` object at once (every view redraws) and to QSettings
(``redaction/rules``, JSON) so the next start uses them; ``load_rules`` reads
them back and falls back to the defaults for a missing or unreadable entry.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from explorer.ui.detail import style
from explorer.ui.detail.redaction import Redaction
from explorer.workspace.redact import RedactionRules

log = logging.getLogger(__name__)

SETTINGS_KEY = "redaction/rules"


def load_rules(settings: QSettings | None) -> RedactionRules:
    """The saved rules, or the defaults (nothing saved, or unreadable: logged)."""
    if settings is None:
        return RedactionRules()
    raw = settings.value(SETTINGS_KEY)
    if not isinstance(raw, str) or not raw:
        return RedactionRules()
    try:
        config = json.loads(raw)
        if not isinstance(config, dict):
            raise ValueError("not a JSON object")
        return RedactionRules.from_config(config)
    except ValueError as exc:
        log.warning("saved redaction rules ignored (defaults used): %s", exc)
        return RedactionRules()


def save_rules(settings: QSettings | None, rules: RedactionRules) -> None:
    if settings is not None:
        settings.setValue(SETTINGS_KEY, json.dumps(rules.to_config()))
        settings.sync()


def parse_values(text: str) -> dict[str, str]:
    """``label: regex`` lines (blank lines skipped); a line without a label gets one.

    The first ``:`` followed by a space separates the label, so a regex may hold
    colons (``(?i)bearer:``); a line with no ``": "`` is a bare pattern.
    """
    values: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        label, sep, pattern = line.partition(": ")
        if not sep or not label or " " in label:
            label, pattern = f"pattern {n}", line
        values[label] = pattern.strip()
    return values


def _hint(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(f"color: {style.muted().name()}")
    return label


class RedactionRulesDialog(QDialog):
    """Edit the shared ``Redaction``'s rules; OK applies and saves them."""

    def __init__(
        self, redaction: Redaction, settings: QSettings | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("redactionRulesDialog")
        self.setWindowTitle("Redaction rules")
        self.redaction, self.settings = redaction, settings
        intro = QLabel(
            "While <b>Redaction mode</b> is on (View menu), values are shown as the mask "
            "when the property's name matches a name pattern, or when a text value "
            "contains a value pattern. Type tags stay visible; stored data is never changed."
        )
        intro.setWordWrap(True)
        self.names_edit = QPlainTextEdit()
        self.names_edit.setObjectName("namePatterns")
        self.names_edit.setToolTip(
            "One regular expression per line, matched against the whole property name; "
            "case, _, - and spaces are ignored (firstName, first_name → firstname)"
        )
        self.values_edit = QPlainTextEdit()
        self.values_edit.setObjectName("valuePatterns")
        self.values_edit.setToolTip("One 'label: regular expression' per line")
        self.mask_edit = QLineEdit()
        self.mask_edit.setMaximumWidth(160)
        for edit in (self.names_edit, self.values_edit):
            edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            edit.setMinimumHeight(120)
        self.error_label = QLabel()
        self.error_label.setObjectName("rulesError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #c62828;")
        self.error_label.setVisible(False)

        form = QFormLayout()
        form.addRow("Property names:", self.names_edit)
        form.addRow(
            "",
            _hint(
                "One regular expression per line, matched against the whole name; "
                "case, _, - and spaces are ignored (first_name = firstName)."
            ),
        )
        form.addRow("Values:", self.values_edit)
        form.addRow(
            "",
            _hint(
                "One 'label: regular expression' per line, searched in every "
                "text value, whatever its property is called."
            ),
        )
        form.addRow("Mask:", self.mask_edit)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok
            | QDialogButtonBox.StandardButton.Cancel
            | QDialogButtonBox.StandardButton.RestoreDefaults
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        defaults = buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
        defaults.clicked.connect(lambda: self.show_rules(RedactionRules()))
        self.buttons = buttons
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(buttons)
        self.resize(820, 520)
        self.show_rules(redaction.rules)

    def show_rules(self, rules: RedactionRules) -> None:
        self.names_edit.setPlainText("\n".join(rules.name_patterns))
        self.values_edit.setPlainText(
            "\n".join(f"{label}: {pattern}" for label, pattern in rules.value_patterns.items())
        )
        self.mask_edit.setText(rules.mask)
        self.error_label.setVisible(False)

    def rules(self) -> RedactionRules:
        """The rules as typed; ``ValueError`` naming a bad pattern."""
        names = [line.strip() for line in self.names_edit.toPlainText().splitlines()]
        config: dict[str, Any] = {
            "names": [n for n in names if n],
            "values": parse_values(self.values_edit.toPlainText()),
            "mask": self.mask_edit.text() or RedactionRules().mask,
            "enabled": True,
        }
        return RedactionRules.from_config(config)

    def accept(self) -> None:
        try:
            rules = self.rules()
        except ValueError as exc:
            self.error_label.setText(f"{exc}. Fix it, or Cancel to keep the rules in use.")
            self.error_label.setVisible(True)
            return
        self.redaction.set_rules(rules)
        save_rules(self.settings, rules)
        super().accept()
