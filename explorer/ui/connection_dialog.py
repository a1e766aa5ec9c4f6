"""``ConnectionDialog``: pick or edit a saved profile, test it, connect.

Left: saved profiles and presets (Azurite, the local Cosmos emulator, the
demo). Right: the profile's name, kind, environment and the settings of its
kind; the secret field is a password field whose value goes to the keychain
on save and is never shown back (leave it empty to keep the stored one).
"Test connection" opens the store read-only, lists one key and says what it
found, or the error, in one line. The dialog is non-modal-friendly: open it
with ``open()`` and read ``profile()`` / ``secret()`` on ``accepted``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from explorer.storage.budget import DEFAULT_RU_PER_SECOND
from explorer.ui.tasks import TaskHandle, TaskRunner
from explorer.ui.theme import environment_colour
from explorer.workspace.profiles import (
    ENVIRONMENTS,
    KINDS,
    Profile,
    ProfileStore,
    azurite_preset,
    cosmos_emulator_preset,
)

#: ``(profile, secret) -> one-line result``; raises ``StorageError`` on failure
Tester = Callable[[Profile, str | None], Awaitable[str]]
_PRESET = Qt.ItemDataRole.UserRole + 1


LABEL_WIDTH = 120


class _AlignedForm(QFormLayout):
    """A form whose labels share one width, so stacked pages line up with the top."""

    def addRow(self, label: object, field: object) -> None:  # type: ignore[override]
        text = QLabel(str(label))
        text.setMinimumWidth(LABEL_WIDTH)
        text.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        super().addRow(text, field)  # type: ignore[call-overload]


def _form() -> QFormLayout:
    form = _AlignedForm()
    form.setContentsMargins(0, 0, 0, 0)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def _ru_cap(saved: str | None) -> int:
    """A profile's ``ru_per_second`` for the spin box (0: no cap; missing or
    unreadable: the default the store would use)."""
    if saved is None:
        return int(DEFAULT_RU_PER_SECOND)
    if saved.strip().lower() in ("", "off", "none"):
        return 0
    try:
        return max(0, round(float(saved)))
    except ValueError:
        return int(DEFAULT_RU_PER_SECOND)


class ConnectionDialog(QDialog):
    """Saved profiles on the left, the selected one's settings on the right."""

    def __init__(
        self,
        store: ProfileStore,
        runner: TaskRunner,
        tester: Tester,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect to a bot state store")
        self.store, self.runner, self.tester = store, runner, tester
        self._presets: dict[str, tuple[Profile, str | None]] = {}
        self._build()
        self._reload_list()
        self.resize(840, 440)

    # -- layout ---------------------------------------------------------------

    def _build(self) -> None:
        self.list = QListWidget()
        self.list.setMinimumWidth(210)
        self.list.currentItemChanged.connect(self._selected)
        new_button = QPushButton("New")
        new_button.clicked.connect(self._new)
        self.delete_button = QPushButton("Delete")
        self.delete_button.clicked.connect(self._delete)
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Saved connections</b>"))
        left.addWidget(self.list)
        row = QHBoxLayout()
        row.addWidget(new_button)
        row.addWidget(self.delete_button)
        left.addLayout(row)

        self.name = QLineEdit()
        self.kind = QComboBox()
        for kind, label in KINDS.items():
            self.kind.addItem(label, kind)
        self.environment = QComboBox()
        for env in ENVIRONMENTS:
            self.environment.addItem(env.upper(), env)
        self.environment.currentIndexChanged.connect(self._environment_changed)
        self.env_note = QLabel()
        self.env_note.setWordWrap(True)
        self.pages = QStackedWidget()
        self._sqlite_page()
        self._blob_page()
        self._cosmos_page()
        self.pages.addWidget(QLabel("A store in memory filled with demo bot state."))
        self.kind.currentIndexChanged.connect(self.pages.setCurrentIndex)
        self.pages.currentChanged.connect(self._fit_page)
        self._fit_page(self.pages.currentIndex())
        form = _form()
        form.addRow("Name", self.name)
        form.addRow("Kind", self.kind)
        form.addRow("Environment", self.environment)
        form.addRow("", self.env_note)

        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self._test)
        self.test_result = QLabel()
        self.test_result.setWordWrap(True)
        self.test_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_result, 1)

        self.buttons = QDialogButtonBox()
        self.connect_button = self.buttons.addButton(
            "Connect", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.connect_button.setDefault(True)
        self.save_button = self.buttons.addButton("Save", QDialogButtonBox.ButtonRole.ApplyRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._connect)
        self.buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self._save)

        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.pages)
        test_form = _form()  # lined up with the fields it tests, its answer beside it
        test_form.addRow("", test_row)
        right.addLayout(test_form)
        right.addStretch(1)
        right.addWidget(self.buttons)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)
        self._environment_changed()

    def _secret_row(self, form: QFormLayout, label: str) -> tuple[QLineEdit, QButtonGroup]:
        secret = QLineEdit()
        secret.setEchoMode(QLineEdit.EchoMode.Password)
        secret.setPlaceholderText(f"{label}, kept in the system keychain")
        secret.setToolTip("Leave empty to keep the saved one. Never written to settings files.")
        with_secret, with_entra = QRadioButton(label), QRadioButton("Entra ID sign-in")
        with_secret.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(with_secret, 0)
        group.addButton(with_entra, 1)
        group.idToggled.connect(lambda _i, _on: secret.setEnabled(group.checkedId() == 0))
        auth = QHBoxLayout()
        auth.addWidget(with_secret)
        auth.addWidget(with_entra)
        auth.addStretch(1)
        form.addRow("Sign in with", auth)
        form.addRow("Secret", secret)
        return secret, group

    def _sqlite_page(self) -> None:
        page, form = QWidget(), _form()
        page.setLayout(form)
        self.sqlite_path = QLineEdit()
        self.sqlite_path.setPlaceholderText("path to a .db file (created if missing)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.sqlite_path, 1)
        row.addWidget(browse)
        form.addRow("File", row)
        self.pages.addWidget(page)

    def _blob_page(self) -> None:
        page, form = QWidget(), _form()
        page.setLayout(form)
        self.blob_container = QLineEdit()
        self.blob_account_url = QLineEdit()
        self.blob_account_url.setPlaceholderText(
            "https://ACCOUNT.blob.core.windows.net (not needed with a connection string)"
        )
        form.addRow("Container", self.blob_container)
        form.addRow("Account URL", self.blob_account_url)
        self.blob_secret, self.blob_auth = self._secret_row(form, "Connection string / SAS")
        self.pages.addWidget(page)

    def _cosmos_page(self) -> None:
        page, form = QWidget(), _form()
        page.setLayout(form)
        self.cosmos_endpoint = QLineEdit()
        self.cosmos_endpoint.setPlaceholderText("https://ACCOUNT.documents.azure.com:443/")
        self.cosmos_database = QLineEdit()
        self.cosmos_container = QLineEdit()
        form.addRow("Endpoint", self.cosmos_endpoint)
        form.addRow("Database", self.cosmos_database)
        form.addRow("Container", self.cosmos_container)
        self.cosmos_secret, self.cosmos_auth = self._secret_row(form, "Account key")
        self.cosmos_insecure = QCheckBox("Local emulator: skip TLS certificate checks")
        form.addRow("", self.cosmos_insecure)
        self.cosmos_ru = QSpinBox()
        self.cosmos_ru.setRange(0, 1_000_000)
        self.cosmos_ru.setSingleStep(50)
        self.cosmos_ru.setGroupSeparatorShown(True)
        self.cosmos_ru.setSuffix(" RU/s")
        self.cosmos_ru.setSpecialValueText("no cap")
        self.cosmos_ru.setValue(int(DEFAULT_RU_PER_SECOND))
        self.cosmos_ru.setToolTip(
            "Listing, counts, value search, stats and export wait to stay under this many "
            "request units per second, so a scan never takes the throughput the bot needs.\n"
            f"Default {DEFAULT_RU_PER_SECOND:,.0f}: a quarter of 400 RU/s, the smallest "
            "throughput a container can have. Reads and saves you make by hand are never "
            "held back. 0: no cap."
        )
        ru_row = QHBoxLayout()
        ru_row.addWidget(self.cosmos_ru)
        ru_row.addWidget(QLabel("for scans: listing, search, stats, export"), 1)
        form.addRow("RU/s cap", ru_row)
        self.pages.addWidget(page)

    # -- profile <-> form -------------------------------------------------------

    def profile(self) -> Profile:
        """The profile as currently filled in."""
        kind = str(self.kind.currentData())
        settings: dict[str, str] = {}
        auth, insecure = "secret", False
        if kind == "sqlite":
            settings["path"] = self.sqlite_path.text().strip()
        elif kind == "blob":
            settings["container"] = self.blob_container.text().strip()
            if self.blob_account_url.text().strip():
                settings["account_url"] = self.blob_account_url.text().strip()
            auth = "entra" if self.blob_auth.checkedId() == 1 else "secret"
        elif kind == "cosmos":
            settings["endpoint"] = self.cosmos_endpoint.text().strip()
            settings["database"] = self.cosmos_database.text().strip()
            settings["container"] = self.cosmos_container.text().strip()
            auth = "entra" if self.cosmos_auth.checkedId() == 1 else "secret"
            insecure = self.cosmos_insecure.isChecked()
            settings["ru_per_second"] = str(self.cosmos_ru.value())
        name = self.name.text().strip() or Profile("x", kind, settings=settings).url()
        env = str(self.environment.currentData())
        return Profile(name, kind, env, settings, auth, insecure)

    def secret(self) -> str | None:
        """The secret typed in (or the preset's / the saved one's)."""
        kind = str(self.kind.currentData())
        field = {"blob": self.blob_secret, "cosmos": self.cosmos_secret}.get(kind)
        typed = field.text() if field is not None else ""
        if typed:
            return typed
        item = self.list.currentItem()
        if item is not None and item.data(_PRESET):
            return self._presets[item.text()][1]
        return self.store.secret(self.name.text().strip()) if field is not None else None

    def set_profile(self, profile: Profile) -> None:
        self.name.setText(profile.name)
        self.kind.setCurrentIndex(max(self.kind.findData(profile.kind), 0))
        self.environment.setCurrentIndex(max(self.environment.findData(profile.environment), 0))
        s = profile.settings
        self.sqlite_path.setText(s.get("path", ""))
        self.blob_container.setText(s.get("container", "") if profile.kind == "blob" else "")
        self.blob_account_url.setText(s.get("account_url", ""))
        self.cosmos_endpoint.setText(s.get("endpoint", ""))
        self.cosmos_database.setText(s.get("database", ""))
        self.cosmos_container.setText(s.get("container", "") if profile.kind == "cosmos" else "")
        entra = profile.auth == "entra"
        for group in (self.blob_auth, self.cosmos_auth):
            group.button(1 if entra else 0).setChecked(True)
        self.cosmos_insecure.setChecked(profile.insecure)
        self.cosmos_ru.setValue(_ru_cap(s.get("ru_per_second")))
        self.blob_secret.clear()
        self.cosmos_secret.clear()
        self.test_result.clear()

    # -- actions ------------------------------------------------------------------

    def _reload_list(self, select: str | None = None) -> None:
        self.list.clear()
        for profile in self.store.profiles():
            item = QListWidgetItem(f"{profile.name}")
            item.setToolTip(
                f"{profile.kind_label} · {profile.environment.upper()} · {profile.url()}"
            )
            item.setForeground(environment_colour(profile.environment))
            self.list.addItem(item)
        header = QListWidgetItem("Presets")
        header.setFlags(Qt.ItemFlag.NoItemFlags)
        font = header.font()
        font.setBold(True)
        header.setFont(font)
        self.list.addItem(header)
        presets: list[tuple[Profile, str | None]] = [azurite_preset(), cosmos_emulator_preset()]
        presets.append((Profile("Demo (in memory)", "memory", "dev"), None))
        self._presets = {p.name: (p, s) for p, s in presets}
        for name in self._presets:
            item = QListWidgetItem(f"{name}")
            item.setData(_PRESET, True)
            item.setToolTip("preset")
            font = item.font()
            font.setItalic(True)
            item.setFont(font)
            self.list.addItem(item)
        matches = self.list.findItems(select or "", Qt.MatchFlag.MatchExactly) if select else []
        self.list.setCurrentRow(self.list.row(matches[0]) if matches else 0)
        if self.list.currentItem() is header:
            self.list.setCurrentRow(self.list.row(header) + 1)
        if self.store.problem:  # an unreadable connections file: say so (it is kept)
            self.test_result.setText(f"⚠ {self.store.problem}.")

    def _selected(self, item: QListWidgetItem | None, _previous: object = None) -> None:
        if item is None:
            return
        if item.data(_PRESET):
            self.set_profile(self._presets[item.text()][0])
            self.delete_button.setEnabled(False)
            return
        profile = self.store.get(item.text())
        if profile is not None:
            self.set_profile(profile)
        self.delete_button.setEnabled(profile is not None)

    def _new(self) -> None:
        self.list.clearSelection()
        self.set_profile(Profile("", "sqlite", "dev"))
        self.name.setFocus()

    def _delete(self) -> None:
        item = self.list.currentItem()
        if item is not None and not item.data(_PRESET):
            self.store.delete(item.text())
            self._reload_list()

    def _save(self) -> None:
        profile = self.profile()
        self.store.save(profile, self.secret())
        self._reload_list(select=profile.name)
        problems = [p for p in (self.store.keychain_problem, self.store.problem) if p]
        if problems:
            self.test_result.setText(f"⚠ Saved, but {'; '.join(problems)}.")

    def _connect(self) -> None:
        self._save()
        self.accept()

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "SQLite state store",
            self.sqlite_path.text(),
            "SQLite stores (*.db *.sqlite *.sqlite3);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if path:
            self.sqlite_path.setText(path)

    def _fit_page(self, index: int) -> None:
        """The stack takes the height of the shown page only (no gap under short pages)."""
        for i in range(self.pages.count()):
            vertical = QSizePolicy.Policy.Preferred if i == index else QSizePolicy.Policy.Ignored
            page = self.pages.widget(i)
            if page is not None:
                page.setSizePolicy(QSizePolicy.Policy.Preferred, vertical)
        self.pages.updateGeometry()

    def _environment_changed(self) -> None:
        env = str(self.environment.currentData())
        colour = environment_colour(env).name()
        notes = {
            "prod": "Production: opens read-only; writing must be unlocked for each session.",
            "test": "Test: writes allowed, shown in amber.",
            "dev": "Development: writes allowed.",
        }
        self.env_note.setText(f"<span style='color:{colour}'>■</span> {notes.get(env, '')}")

    def _test(self) -> None:
        profile, secret = self.profile(), self.secret()
        self.test_result.setText("Testing…")
        self.test_button.setEnabled(False)

        async def work(_handle: TaskHandle) -> str:
            return await self.tester(profile, secret)

        handle = self.runner.start(f"Testing {profile.name}", work, on_result=self._tested)
        handle.runner.finished.connect(self._test_finished)

    def _tested(self, message: str) -> None:
        self.test_result.setText(f"<span style='color:#2e7d32'>✓</span> {message}")

    def _test_finished(self, handle: TaskHandle) -> None:
        if not handle.label.startswith("Testing"):
            return
        self.runner.finished.disconnect(self._test_finished)
        self.test_button.setEnabled(True)
        if handle.error:
            self.test_result.setText(f"<span style='color:#c62828'>✗</span> {handle.error}")
