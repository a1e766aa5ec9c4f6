#!/usr/bin/env bash
# Build "Bot State Explorer.app" and a .dmg on macOS with packaging/botstate-explorer.spec.
#
#   bash packaging/macos/build.sh
#   -> packaging/dist/Bot State Explorer.app
#   -> packaging/dist/botstate-explorer-VERSION-macos-ARCH.dmg
#
# The app's --version and --self-test (QT_QPA_PLATFORM=offscreen) must pass before it
# is packed. Signing and notarisation run only when their secrets are in the
# environment, and are skipped with a message otherwise:
#   MACOS_SIGNING_IDENTITY       "Developer ID Application: NAME (TEAMID)"  -> codesign
#   MACOS_CERTIFICATE            base64 of the .p12 holding that identity (CI; optional
#   MACOS_CERTIFICATE_PASSWORD   locally, where the identity is in the login keychain)
#   APPLE_ID, APPLE_TEAM_ID,     Apple ID, team and app-specific password  -> notarytool
#   APPLE_APP_PASSWORD           (needs signing too), then stapler
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python3}
step() { printf '\n== %s\n' "$*"; }

step "Python environment (.venv) with the package extra"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -U pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[package]'

meta() { .venv/bin/python packaging/appmeta.py "$1"; }
NAME=$(meta name)
VERSION=$(meta version)
DISPLAY_NAME=$(meta display_name)
APP="packaging/dist/$DISPLAY_NAME.app"
DMG="packaging/dist/$NAME-$VERSION-macos-$(uname -m).dmg"

step "PyInstaller: $NAME $VERSION"
start=$(date +%s)
.venv/bin/pyinstaller --noconfirm --clean --log-level WARN \
  --distpath packaging/dist --workpath packaging/build packaging/botstate-explorer.spec
echo "build time: $(( $(date +%s) - start )) s"

step "--version and --self-test (offscreen)"
got=$("$APP/Contents/MacOS/$NAME" --version)
echo "$got"
[ "$got" = "$NAME $VERSION" ] || { echo "expected '$NAME $VERSION'" >&2; exit 1; }
QT_QPA_PLATFORM=offscreen "$APP/Contents/MacOS/$NAME" --self-test
# the self-test runs offscreen; users need the native platform plugin
for plugin in libqcocoa.dylib libqicns.dylib; do
  [ -n "$(find "$APP" -name "$plugin" -print -quit)" ] || { echo "$plugin is missing from $APP" >&2; exit 1; }
done
echo "app size: $(du -sm "$APP" | cut -f1) MB"

signed=false
if [ -n "${MACOS_SIGNING_IDENTITY:-}" ]; then
  if [ -n "${MACOS_CERTIFICATE:-}" ]; then
    step "Import the signing certificate into a temporary keychain"
    keychain="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/botstate-signing.keychain-db"
    keychain_password=$(uuidgen)
    cleanup() { security delete-keychain "$keychain" 2>/dev/null || true; }
    trap cleanup EXIT
    security create-keychain -p "$keychain_password" "$keychain"
    security set-keychain-settings -lut 3600 "$keychain"
    security unlock-keychain -p "$keychain_password" "$keychain"
    cert="$(mktemp -d)/signing.p12"
    printf '%s' "$MACOS_CERTIFICATE" | base64 --decode > "$cert"
    security import "$cert" -k "$keychain" -P "${MACOS_CERTIFICATE_PASSWORD:-}" -T /usr/bin/codesign
    rm -f "$cert"
    security set-key-partition-list -S apple-tool:,apple:,codesign: -s -k "$keychain_password" "$keychain" >/dev/null
    # shellcheck disable=SC2046  # the existing keychains, word-split on purpose
    security list-keychains -d user -s "$keychain" $(security list-keychains -d user | tr -d '"')
  fi
  step "codesign (hardened runtime) with $MACOS_SIGNING_IDENTITY"
  codesign --force --deep --timestamp --options runtime \
    --entitlements packaging/macos/entitlements.plist \
    --sign "$MACOS_SIGNING_IDENTITY" "$APP"
  codesign --verify --deep --strict --verbose=2 "$APP"
  signed=true
else
  step "codesign skipped: MACOS_SIGNING_IDENTITY is not set"
  echo "The app is unsigned: Gatekeeper asks users to confirm the first start (right-click > Open)."
fi

step "Disk image: $DMG"
rm -f "$DMG"
.venv/bin/dmgbuild -s packaging/macos/dmg_settings.py \
  -D app="$APP" -D icon=resources/app.icns "$DISPLAY_NAME" "$DMG"
if [ "$signed" = true ]; then
  codesign --force --timestamp --sign "$MACOS_SIGNING_IDENTITY" "$DMG"
fi

if [ "$signed" = true ] && [ -n "${APPLE_ID:-}" ] && [ -n "${APPLE_TEAM_ID:-}" ] \
  && [ -n "${APPLE_APP_PASSWORD:-}" ]; then
  step "Notarise and staple"
  xcrun notarytool submit "$DMG" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
    --password "$APPLE_APP_PASSWORD" --wait
  xcrun stapler staple "$DMG"
  xcrun stapler validate "$DMG"
elif [ "$signed" = true ]; then
  step "Notarisation skipped: APPLE_ID, APPLE_TEAM_ID and APPLE_APP_PASSWORD are not all set"
else
  step "Notarisation skipped: the app is not signed"
fi

echo "disk image: $DMG ($(du -m "$DMG" | cut -f1) MB)"
