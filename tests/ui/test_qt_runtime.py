"""The Qt binding the app runs on survives what the app does all day.

PySide6 6.12.0 dropped a reference to ``False`` on every signal emitted from
Python; on Python 3.11 (bools are not immortal) a few thousand emits abort
the process with "bool_dealloc". Run in a child process so a crash fails
this test instead of killing the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys

SCRIPT = """
from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, Signal
from PySide6.QtWidgets import QApplication

app = QApplication([])

class Source(QObject):
    changed = Signal(object)

class Model(QAbstractListModel):
    def rowCount(self, parent=QModelIndex()):
        return 0

source, model = Source(), Model()
for i in range(20000):
    source.changed.emit(i)
    model.dataChanged.emit(QModelIndex(), QModelIndex(), [0])
print("survived")
"""


def test_many_signal_emits_do_not_corrupt_the_interpreter() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "survived" in result.stdout
