#!/usr/bin/env bash
# Build the Linux one-folder bundle with packaging/botstate-explorer.spec and check it:
#   packaging/dist/botstate-explorer/            the bundle (run ./botstate-explorer)
#   packaging/dist/botstate-explorer-VERSION-linux-x86_64.tar.gz
# Checks: every library a bundled file links is in the bundle (ldd), `--version` prints
# pyproject's version, `--self-test` passes under QT_QPA_PLATFORM=offscreen. Prints the
# build time, the bundle size and the start time of the bundle's --self-test against
# `python -m explorer --self-test` (medians of STARTUP_RUNS fresh processes, default 5).
# Uses .venv (created if missing) and installs the package extra into it.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
RUNS=${STARTUP_RUNS:-5}
step() { printf '\n== %s\n' "$*"; }

step "Python environment (.venv) with the package extra"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[package]'

NAME=$(.venv/bin/python packaging/appmeta.py name)
VERSION=$(.venv/bin/python packaging/appmeta.py version)
BUNDLE=packaging/dist/$NAME
export QT_QPA_PLATFORM=offscreen

step "PyInstaller: $NAME $VERSION"
start=$(date +%s)
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
  --distpath packaging/dist --workpath packaging/build packaging/botstate-explorer.spec \
  2> >(grep -v "Library not found: could not resolve" >&2)
build_seconds=$(( $(date +%s) - start ))

step "Libraries"
.venv/bin/python packaging/linux/check_bundle.py libs "$BUNDLE"

step "--version"
got=$("$BUNDLE/$NAME" --version)
echo "$got"
if [ "$got" != "$NAME $VERSION" ]; then
  echo "expected '$NAME $VERSION' from the bundle's --version" >&2
  exit 1
fi

step "--self-test (offscreen)"
"$BUNDLE/$NAME" --self-test

# the self-test runs offscreen; desktops need the xcb and wayland platform plugins
for plugin in libqxcb.so libqwayland.so libqico.so; do
  [ -n "$(find "$BUNDLE" -name "$plugin" -print -quit)" ] || { echo "$plugin is missing" >&2; exit 1; }
done

step "Desktop entry"
cp resources/app-256.png "$BUNDLE/$NAME.png"
cp packaging/linux/install-desktop-entry.sh "$BUNDLE/"
xdg=$(mktemp -d)
XDG_DATA_HOME=$xdg sh "$BUNDLE/install-desktop-entry.sh"
grep -q "^Exec=\"$(cd "$BUNDLE" && pwd)/$NAME\"$" "$xdg/applications/$NAME.desktop"
rm -rf "$xdg"

step "Archive"
tarball=packaging/dist/$NAME-$VERSION-linux-$(uname -m).tar.gz
tar -C packaging/dist -czf "$tarball" "$NAME"

step "Start time: bundle vs python -m explorer (--self-test, $RUNS runs each)"
.venv/bin/python packaging/linux/check_bundle.py timing "$RUNS" \
  -- "$BUNDLE/$NAME" --self-test -- .venv/bin/python -m explorer --self-test

step "Summary"
echo "build time:   ${build_seconds} s"
echo "bundle size:  $(du -sm "$BUNDLE" | cut -f1) MB in $(find "$BUNDLE" -type f | wc -l) files"
echo "archive:      $tarball ($(du -m "$tarball" | cut -f1) MB)"
