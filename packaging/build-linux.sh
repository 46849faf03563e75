#!/usr/bin/env bash
# Build AlbumStudio for Linux from a checkout:
#   dist/AlbumStudio/                                 one-folder bundle (run dist/AlbumStudio/albumstudio)
#   dist/AlbumStudio-VERSION-linux-ARCH.tar.gz        that folder, for any distribution
#   dist/albumstudio_VERSION_DEBARCH.deb              /opt/albumstudio + /usr/bin/albumstudio + desktop entry
# then prints the bundle's size, its largest parts and the first paint against the pip install.
#
# Needs: the app installed (pip install -e .), pyinstaller, libportaudio2, dpkg-deb; Xvfb for
# the first-paint figures (skipped without it, or with ALBUMSTUDIO_SKIP_FIGURES=1).
# ALBUMSTUDIO_REUSE_BUNDLE=1 packs an existing dist/AlbumStudio without rebuilding it.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
python="${PYTHON:-python}"

if ! "$python" -c "import PyInstaller" 2>/dev/null; then
    echo "build-linux.sh: PyInstaller is not installed: python -m pip install pyinstaller" >&2
    exit 2
fi
command -v dpkg-deb >/dev/null || { echo "build-linux.sh: dpkg-deb is missing (apt-get install dpkg)" >&2; exit 2; }

version="$("$python" -c "import albumstudio; print(albumstudio.__version__)")"
arch="$(uname -m)"
debarch="$(dpkg --print-architecture 2>/dev/null || echo amd64)"
bundle="dist/AlbumStudio"

# what it is built from (tests/test_bundle.py reuses a bundle built from the same files);
# taken before the build, so files edited while it runs make the stamp stale, not wrong
stamp="$("$python" -c "from benchmarks.bundle import source_stamp; print(source_stamp())")"

if [[ "${ALBUMSTUDIO_REUSE_BUNDLE:-0}" == 1 && -x "$bundle/albumstudio" ]]; then
    echo "== reusing $bundle"
else
    echo "== building $bundle (PyInstaller, CPU torch)"
    start=$SECONDS
    rm -rf "$bundle" build/albumstudio
    "$python" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build \
        packaging/albumstudio.spec
    echo "bundle built in $((SECONDS - start)) s"
fi

# debug symbols out of the libraries, duplicate copies linked (packaging/strip_bundle.py)
"$python" packaging/strip_bundle.py "$bundle/_internal"

# nothing from CUDA in the CPU bundle, no test suites beside the packages
cuda="$(find "$bundle" \( -name 'libcu*' -o -name 'libnccl*' -o -name 'libnv*' -o -name '*_cuda*.so*' \) -print | head -5)"
if [[ -n "$cuda" ]]; then
    echo "build-linux.sh: CUDA libraries slipped into the CPU bundle:" >&2
    echo "$cuda" >&2
    exit 1
fi
# it starts: the command line is built from every subcommand, the services and the engines
if ! "$bundle/albumstudio" --version; then
    echo "build-linux.sh: the bundle does not start (see above)" >&2
    exit 1
fi
if [[ "${ALBUMSTUDIO_REUSE_BUNDLE:-0}" != 1 ]]; then
    echo "$stamp" > "$bundle/albumstudio-build-stamp.txt"
fi
# a desktop file and an installer for the tarball's users (the .deb has its own)
install -m 644 packaging/albumstudio.desktop "$bundle/albumstudio.desktop"
install -m 755 packaging/bundle-install-desktop-entry.sh "$bundle/install-desktop-entry.sh"
install -m 644 resources/icons/albumstudio.svg "$bundle/albumstudio.svg"

echo "== tar.gz"
tarball="dist/AlbumStudio-$version-linux-$arch.tar.gz"
gz="gzip -6"
command -v pigz >/dev/null && gz="pigz -6"
tar -C dist -cf - AlbumStudio | $gz > "$tarball.part"
mv "$tarball.part" "$tarball"

echo "== .deb"
stage="build/deb/albumstudio_${version}_$debarch"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
    "$stage/usr/share/icons/hicolor/scalable/apps" "$stage/usr/share/doc/albumstudio"
cp -a "$bundle" "$stage/opt/albumstudio"
rm -f "$stage/opt/albumstudio/install-desktop-entry.sh" "$stage/opt/albumstudio/albumstudio.desktop"
ln -s /opt/albumstudio/albumstudio "$stage/usr/bin/albumstudio"
install -m 644 packaging/albumstudio.desktop "$stage/usr/share/applications/albumstudio.desktop"
install -m 644 resources/icons/albumstudio.svg "$stage/usr/share/icons/hicolor/scalable/apps/albumstudio.svg"
install -m 644 LICENSE "$stage/usr/share/doc/albumstudio/copyright"
installed_kb="$(du -sk "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: albumstudio
Version: $version
Architecture: $debarch
Maintainer: AlbumStudio <albumstudio@users.noreply.github.com>
Installed-Size: $installed_kb
Depends: libc6 (>= 2.28), libgl1, libegl1, libfontconfig1, libfreetype6, libx11-6, libx11-xcb1, libxcb1, libxkbcommon0, libxkbcommon-x11-0, libdbus-1-3
Recommends: fonts-dejavu-core
Section: sound
Priority: optional
Homepage: https://github.com/albumstudio/albumstudio
Description: release kit studio: album covers, QR posters and clips from a track
 AlbumStudio turns a track into an album cover, a QR poster, clips and a
 release kit on your own computer. This package carries its own Python,
 PyTorch (CPU), Qt and codecs in /opt/albumstudio.
CONTROL
# the file manager's "Open with" list and the menu learn about it from the desktop entry
cat > "$stage/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    command -v update-desktop-database >/dev/null && update-desktop-database -q /usr/share/applications || true
    command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
fi
POSTINST
cp "$stage/DEBIAN/postinst" "$stage/DEBIAN/postrm"
sed -i 's/\[ "$1" = configure \]/[ "$1" = remove ] || [ "$1" = purge ]/' "$stage/DEBIAN/postrm"
chmod 755 "$stage/DEBIAN/postinst" "$stage/DEBIAN/postrm"
deb="dist/albumstudio_${version}_$debarch.deb"
dpkg-deb --root-owner-group -Zgzip -z6 --build "$stage" "$deb" >/dev/null
rm -rf "$stage"

echo "== size"
echo "bundle unpacked: $(du -sh --apparent-size "$bundle" | cut -f1)  ($(du -sb "$bundle" | cut -f1) bytes; target <= 1.2G)"
echo "tar.gz: $(du -h --apparent-size "$tarball" | cut -f1)   .deb: $(du -h --apparent-size "$deb" | cut -f1)"
echo "largest parts:"
# one du per part (du counts a file once per call); torch and PySide6 by their own parts
(cd "$bundle" && for part in albumstudio _internal/*; do
    case "$part" in
        _internal/torch|_internal/PySide6|_internal/torch/lib)
            for sub in "$part"/* "$part"/lib/*; do
                if [[ -e "$sub" && "$sub" != "$part/lib" ]]; then du -sb --apparent-size -- "$sub"; fi
            done ;;
        *) du -sb --apparent-size -- "$part" ;;
    esac
done) | sort -rn | head -20 | awk '{ printf "  %8.1f MB  %s\n", $1 / 1e6, $2 }'
echo "  (albumstudio, the executable, holds the compiled Python modules of every package)"

if [[ "${ALBUMSTUDIO_SKIP_FIGURES:-0}" != 1 ]] && command -v Xvfb >/dev/null; then
    echo "== first paint (bundle with no Python on PATH vs the pip install; Xvfb, xcb)"
    "$python" -m benchmarks.bundle "$bundle" --runs 3
fi
echo "== made $bundle, $tarball, $deb"
