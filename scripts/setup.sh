#!/usr/bin/env bash
# Installs everything a fresh Debian 12 machine needs to build, run and test meteor watch.
# Idempotent: packages already present are skipped by apt. Run as root (or with sudo).
set -euo pipefail

PKGS=(
  # build
  pkg-config clang libclang-dev
  libopencv-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  libgstrtspserver-1.0-dev
  # runtime: GStreamer elements for decode, parse, mux, RTSP and the simulator's x264enc
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav
  # runtime: the tz database TIMEZONE names are looked up in
  tzdata
  # tests: browser, media probing, process stats
  chromium chromium-driver ffmpeg procps curl time util-linux
)

# The Docker end-to-end test: Debian's engine and Compose unless some Docker is there already
# (docker.io conflicts with Docker's own docker-ce packages), and debootstrap for the base image.
PKGS+=(debootstrap)
command -v docker >/dev/null 2>&1 || PKGS+=(docker.io)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
  PKGS+=(docker-compose)
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PKGS[@]} packages present"
  exit 0
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
