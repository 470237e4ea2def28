#!/usr/bin/env bash
# Install the Debian packages a make target needs, when they are missing (usage: system-packages.sh PKG...).
# Known packages: chromium, chromium-driver, postgresql, bubblewrap, nodejs, npm. Silent when everything is there;
# as root it installs what is missing with apt-get; otherwise it stops with the one command to run.
set -euo pipefail

# Whether the program a package provides is there. PostgreSQL's server programs are not on PATH on Debian:
# they live in /usr/lib/postgresql/<version>/bin (POSTGRES_LIB points elsewhere for the tests of this script).
present() {
    case "$1" in
        chromium) command -v chromium >/dev/null 2>&1 ;;
        chromium-driver) command -v chromedriver >/dev/null 2>&1 ;;
        bubblewrap) command -v bwrap >/dev/null 2>&1 ;;
        nodejs) command -v node >/dev/null 2>&1 ;;
        npm) command -v npm >/dev/null 2>&1 ;;
        postgresql) compgen -G "${POSTGRES_LIB:-/usr/lib/postgresql}/*/bin/initdb" >/dev/null || command -v initdb >/dev/null 2>&1 ;;
        *) echo "system-packages.sh: no check for package '$1'" >&2; exit 2 ;;
    esac
}

missing=()
for package in "$@"; do
    present "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

command_line="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
    echo "Missing system packages: ${missing[*]}. Install them as root, then run make again:" >&2
    echo "    sudo sh -c '$command_line'" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages: ${missing[*]}, and no apt-get to install them (this set-up knows Debian only)." >&2
    exit 1
fi
echo "Installing missing system packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${missing[@]}" >/dev/null
for package in "${missing[@]}"; do
    present "$package" || { echo "apt-get installed $package, but its program is still not found" >&2; exit 1; }
done
