#!/bin/sh
# Download the pinned Joern release for this machine's architecture, verify its SHA-256 and unpack it.
#
# Usage: fetch-joern.sh VERSION SHA256_X86_64 SHA256_ARM64 DEST_DIR
#
# Installs DEST_DIR/joern-cli (joern-parse, joern-export, ...). Fails, installing nothing, when a checksum is
# missing or malformed, when the download does not match it, or when the archive is not Joern VERSION.
set -eu

if [ "$#" -ne 4 ]; then
    echo "usage: $0 VERSION SHA256_X86_64 SHA256_ARM64 DEST_DIR" >&2
    exit 64
fi
version=$1
sha_x86_64=$2
sha_arm64=$3
dest=$4

case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 sha=$sha_x86_64 ;;
    aarch64 | arm64) arch=arm64 sha=$sha_arm64 ;;
    *)
        echo "fetch-joern: no pinned Joern archive for architecture $(uname -m) (Joern ships x86_64 and arm64)" >&2
        exit 1
        ;;
esac

if [ -z "$version" ]; then
    echo "fetch-joern: JOERN_VERSION is empty; pass the Joern release to install (see docker/README.md)" >&2
    exit 1
fi
if [ -z "$sha" ]; then
    echo "fetch-joern: JOERN_SHA256_$(echo "$arch" | tr '[:lower:]' '[:upper:]') is empty; pin the SHA-256 of" \
        "joern-cli-linux-$arch.zip for Joern $version (see docker/README.md)" >&2
    exit 1
fi
if [ "${#sha}" -ne 64 ] || [ -n "$(printf '%s' "$sha" | tr -d '0-9a-f')" ]; then
    echo "fetch-joern: '$sha' is not a SHA-256 (64 lowercase hex characters)" >&2
    exit 1
fi

asset="joern-cli-linux-$arch.zip"
url="https://github.com/joernio/joern/releases/download/v$version/$asset"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "fetch-joern: downloading $url"
curl -fsSL --retry 3 -o "$tmp/$asset" "$url"
if ! echo "$sha  $tmp/$asset" | sha256sum -c -; then
    echo "fetch-joern: checksum mismatch for $url (expected $sha); refusing to install it" >&2
    exit 1
fi

mkdir -p "$tmp/unpacked"
unzip -q "$tmp/$asset" -d "$tmp/unpacked"
home="$tmp/unpacked/joern-cli"
if [ ! -x "$home/joern-parse" ] || [ ! -x "$home/joern-export" ]; then
    echo "fetch-joern: $asset has no executable joern-cli/joern-parse and joern-cli/joern-export" >&2
    exit 1
fi
if [ ! -f "$home/lib/io.joern.joern-cli-$version.jar" ]; then
    echo "fetch-joern: $asset is not Joern $version (no joern-cli/lib/io.joern.joern-cli-$version.jar)" >&2
    exit 1
fi
mkdir -p "$dest"
mv "$home" "$dest/joern-cli"
echo "fetch-joern: installed Joern $version ($arch) in $dest/joern-cli"
