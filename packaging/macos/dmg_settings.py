"""dmgbuild settings for the Bot State Explorer disk image.

Used by packaging/macos/build.sh::

    dmgbuild -s packaging/macos/dmg_settings.py -D app=PATH.app -D icon=resources/app.icns \\
        "Bot State Explorer" OUT.dmg

dmgbuild runs this file with ``defines`` (the -D values) in its globals: the
image shows the app next to an Applications link, to drag it across.
"""

import os.path

defines: dict[str, str] = globals()["defines"]
application = defines["app"]
appname = os.path.basename(application)

format = "UDZO"  # compressed, read-only
files = [application]
symlinks = {"Applications": "/Applications"}
icon = defines.get("icon")  # volume icon
hide_extensions = [appname]

background = "builtin-arrow"
window_rect = ((200, 160), (640, 300))
default_view = "icon-view"
show_status_bar = False
show_toolbar = False
show_pathbar = False
show_sidebar = False
icon_size = 128
text_size = 13
icon_locations = {appname: (160, 140), "Applications": (480, 140)}
