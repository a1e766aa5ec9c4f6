"""Custom item data roles shared by the models, views and tests.

Every role is a plain ``int`` above ``Qt.UserRole``; never reuse a number.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

_BASE = int(Qt.ItemDataRole.UserRole)

#: the ``explorer.workspace.tree.Node`` behind a row
NODE_ROLE = _BASE + 1
#: the storage key of a state row (``None`` for group rows)
KEY_ROLE = _BASE + 2
#: ``NodeKind`` value (str)
KIND_ROLE = _BASE + 3
#: ``LoadState`` value (str)
LOAD_STATE_ROLE = _BASE + 4
#: number of state items below the row (int)
COUNT_ROLE = _BASE + 5
#: True when the row's state has pending (unsaved) edits
DIRTY_ROLE = _BASE + 6
#: the full id shown elided in the row (for copy actions)
FULL_TEXT_ROLE = _BASE + 7
