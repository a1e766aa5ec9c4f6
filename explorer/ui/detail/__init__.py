"""The detail pane: the selected state's header, properties, raw body, dialog stack, history.

``from explorer.ui.detail import DetailPane`` works; the names are imported on
first use so that ``explorer.ui.pending`` and the pane can import each other's
modules without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from explorer.ui.detail.editor import PropertyEditor
    from explorer.ui.detail.pane import DetailPane
    from explorer.ui.detail.properties import PropertiesModel
    from explorer.ui.detail.redaction import Redaction

__all__ = ["DetailPane", "PropertiesModel", "PropertyEditor", "Redaction"]

_WHERE = {
    "DetailPane": "explorer.ui.detail.pane",
    "PropertiesModel": "explorer.ui.detail.properties",
    "PropertyEditor": "explorer.ui.detail.editor",
    "Redaction": "explorer.ui.detail.redaction",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
