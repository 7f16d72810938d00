#!/usr/bin/env bash
# Creates the base image `debian:bookworm-slim` in the local Docker engine when it is missing,
# for machines that reach Debian's package mirror but no container registry (nothing can be
# pulled there). It debootstraps a minimal bookworm into a temporary folder, trims it the way
# the official slim image is trimmed (no docs, man pages or locales; empty apt caches) and
# `docker import`s it under the official name, so docker/Dockerfile* build unchanged.
#
#   scripts/docker-base.sh [--force]     (--force: rebuild even when the image exists)
#
# Needs root (debootstrap) or sudo; installs debootstrap with apt-get when it is missing.
set -euo pipefail

IMAGE=${BASE_IMAGE:-debian:bookworm-slim}
SUITE=bookworm
FORCE=0
case "${1:-}" in
  --force) FORCE=1 ;;
  "") ;;
  *) echo "docker-base.sh: unknown option $1 (usage: $0 [--force])" >&2; exit 2 ;;
esac

die() { echo "docker-base.sh: $*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || die "docker is not installed (apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "the Docker engine is not running or not reachable (is dockerd up? are you in the docker group?)"

if [ "$FORCE" = 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "docker-base.sh: $IMAGE is already there"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "debootstrap needs root: run as root or install sudo"
  SUDO="sudo"
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  echo "docker-base.sh: installing debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends debootstrap
fi

# The Debian mirror apt already uses here (deb822 or one-line sources), else the default.
mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -v -- '-security' | grep '/debian/\?$' | head -n1 || true)
  if [ -z "$uri" ]; then
    uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
          | grep -v -- '-security' | grep '/debian/\?$' | head -n1 || true)
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}
MIRROR=${DEBIAN_MIRROR:-$(mirror)}

ROOT=$(mktemp -d /tmp/meteor-base.XXXXXX)
cleanup() { $SUDO rm -rf --one-file-system "$ROOT"; }
trap cleanup EXIT

echo "docker-base.sh: debootstrap --variant=minbase $SUITE from $MIRROR (a few minutes)"
$SUDO debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1 || {
  tail -n 30 "$ROOT.log" >&2
  die "debootstrap failed (full log: $ROOT.log)"
}
rm -f "$ROOT.log"

# What the official slim image does: keep docs, man pages and locales out of later installs.
$SUDO tee "$ROOT/etc/dpkg/dpkg.cfg.d/docker-slim" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
$SUDO tee "$ROOT/etc/apt/apt.conf.d/docker-clean" >/dev/null <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::GzipIndexes "true";
EOF
$SUDO tee "$ROOT/etc/apt/apt.conf.d/docker-no-recommends" >/dev/null <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
EOF
# The same sources as the official image (the mirror used above may be a local one).
$SUDO rm -f "$ROOT/etc/apt/sources.list"
$SUDO tee "$ROOT/etc/apt/sources.list.d/debian.sources" >/dev/null <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
$SUDO sh -c "cd '$ROOT' && rm -rf usr/share/doc/* usr/share/man/* usr/share/info/* \
  usr/share/locale/* var/lib/apt/lists/* var/cache/apt/*.bin var/cache/apt/archives/*.deb \
  var/log/* tmp/* dev/* proc/* sys/* run/*"

echo "docker-base.sh: importing as $IMAGE"
$SUDO tar --numeric-owner -C "$ROOT" -c . | docker import \
  --change 'CMD ["bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --message "debootstrap --variant=minbase $SUITE $MIRROR (scripts/docker-base.sh)" \
  - "$IMAGE" >/dev/null
docker image ls "$IMAGE"
