#!/usr/bin/env bash
# Add AlbumStudio (this unpacked folder) to your applications menu and to the file manager's
# "Open with" list for audio files. Run it again after moving the folder.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
apps="$data/applications"
icons="$data/icons/hicolor/scalable/apps"
mkdir -p "$apps" "$icons"
install -m 644 "$here/albumstudio.svg" "$icons/albumstudio.svg"
sed -e "s|^Exec=albumstudio |Exec=\"$here/albumstudio\" |" "$here/albumstudio.desktop" \
    > "$apps/albumstudio.desktop.part"
mv "$apps/albumstudio.desktop.part" "$apps/albumstudio.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$apps" || true
echo "Installed AlbumStudio's menu entry to $apps"
