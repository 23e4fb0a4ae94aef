#!/usr/bin/env bash
# pmlogfs quickstart (the README's first command): sudo bash tools/quickstart.sh
#
# Installs what is missing (Debian packages, npm dependencies), builds, creates and formats an
# emulated PM file, mounts it through FUSE, shows `df` and a small workload, and unmounts.
# Idempotent; changes nothing outside the repository except: the Debian packages it installs and
# the mount(8) helper link /sbin/mount.fuse.pmlogfs (so `mount -t fuse.pmlogfs` and fstab work).
# The demo image lives in a temporary directory, removed at the end (KEEP=1 keeps it).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { printf 'quickstart: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (FUSE mounts with allow_other, apt-get): sudo bash tools/quickstart.sh"

say "1. system packages"
PKGS="build-essential cmake pkg-config libpmem-dev libfuse3-dev fuse3 attr"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
else
  echo "all present: $PKGS"
fi
command -v node >/dev/null || die "Node.js 20 or newer is needed (https://nodejs.org or Debian's nodejs)"
node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' || die "Node.js $(node -v) is too old: 20 or newer is needed"
[ -e /dev/fuse ] || modprobe fuse 2>/dev/null || true
[ -e /dev/fuse ] || die "/dev/fuse is missing (no FUSE in this kernel or container: run with --device /dev/fuse)"

say "2. npm dependencies and build"
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund   # also builds the native addon and the TypeScript
else
  npm run --silent build
fi
ln -sf "$REPO/bin/mount.pmlogfs.js" /sbin/mount.fuse.pmlogfs
echo "mount(8) helper: /sbin/mount.fuse.pmlogfs -> bin/mount.pmlogfs.js"

DEMO="$(mktemp -d /tmp/pmlogfs-demo.XXXXXX)"
IMG="$DEMO/pm.img"
MNT="$DEMO/mnt"
mkdir -p "$MNT"
cleanup() {
  if grep -q " $MNT fuse.pmlogfs " /proc/self/mounts 2>/dev/null; then
    node bin/pmlogfs.js umount "$MNT" || fusermount3 -u -z "$MNT" || true
  fi
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $DEMO"; else rm -rf "$DEMO"; fi
}
trap cleanup EXIT

say "3. create and format an emulated PM file (1 GiB, sparse)"
node bin/mkfs.pmlogfs.js -s 1G -L demo "$IMG"

say "4. mount it"
echo "+ pmlogfs mount $IMG $MNT"
node bin/pmlogfs.js mount "$IMG" "$MNT"
grep " $MNT " /proc/self/mounts
df -h "$MNT"

say "5. a small workload"
(
  set -x
  mkdir -p "$MNT/docs/a/b"
  cp -a /usr/share/common-licenses "$MNT/docs/"
  head -c 8M /dev/urandom > "$DEMO/rand.bin"
  dd if="$DEMO/rand.bin" of="$MNT/docs/a/b/rand.bin" bs=1M status=none
  cmp "$DEMO/rand.bin" "$MNT/docs/a/b/rand.bin"
  ln "$MNT/docs/a/b/rand.bin" "$MNT/docs/hardlink"
  ln -s a/b/rand.bin "$MNT/docs/symlink"
  setfattr -n user.comment -v "hello from pmlogfs" "$MNT/docs/a"
  getfattr -d "$MNT/docs/a"
  touch -d '2024-02-29 12:34:56.123456789' "$MNT/docs/leap"
  stat -c '%n %s bytes, %h links, mtime %y' "$MNT/docs/hardlink" "$MNT/docs/leap"
  mv "$MNT/docs/common-licenses" "$MNT/licenses"
  ls -la "$MNT" "$MNT/docs"
  du -sh "$MNT"
)
df -h "$MNT"

say "6. unmount (waits until the image is saved clean) and look at it"
node bin/pmlogfs.js umount "$MNT"
node bin/pmlogfs.js info "$IMG" | head -20 || true

say "done: pmlogfs works here"
echo "next: mkfs.pmlogfs -s 4G pm.img && mkdir -p /mnt/pm && mount -t fuse.pmlogfs \$PWD/pm.img /mnt/pm"
