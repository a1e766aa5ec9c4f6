#!/usr/bin/env sh
# Add Bot State Explorer to the desktop's application menu for the current user.
# Shipped inside the Linux bundle: run it from wherever the bundle was unpacked
# (the menu entry points at this folder; run it again after moving the folder).
# Remove with: rm ~/.local/share/applications/botstate-explorer.desktop
set -eu
here=$(cd "$(dirname "$0")" && pwd)
apps="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
mkdir -p "$apps"
cat > "$apps/botstate-explorer.desktop" <<ENTRY
[Desktop Entry]
Type=Application
Name=Bot State Explorer
Comment=Browse and edit bot state in SQLite, Azure Blob and Cosmos DB stores
Exec="$here/botstate-explorer"
Icon=$here/botstate-explorer.png
Terminal=false
Categories=Development;Utility;
StartupWMClass=botstate-explorer
ENTRY
echo "added $apps/botstate-explorer.desktop"
