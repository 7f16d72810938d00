#!/usr/bin/env bash
# Builds the meteor watch image (one image for every service: camera-worker, dashboard,
# meteor-sim, and the health check meteor-check) and prints its size.
#
#   scripts/docker-build.sh [--image NAME] [--from-source | --host]
#
# --host (the default when cargo is on PATH): builds the release binaries on this machine
#   (`cargo build --release`), strips their debug info, and builds docker/Dockerfile.runtime
#   from them on debian:bookworm-slim, which scripts/docker-base.sh creates locally when it
#   is missing. Needs no registry: this is the path CI and this project's machines take.
#   METEOR_BUILD_PROFILE=debug takes the binaries of a debug build instead (the workspace
#   tests have just built them; saves CI a release build).
# --from-source: the multi-stage docker/Dockerfile (a rust:bookworm builder), with only the
#   files git tracks as context; needs a registry to pull rust:bookworm and
#   debian:bookworm-slim from.
set -euo pipefail
SELF=$(readlink -f "$0")
cd "$(dirname "$SELF")/.."

IMAGE=${METEOR_IMAGE:-meteor-watch:latest}
MODE=""
while [ $# -gt 0 ]; do
  case "$1" in
    --image) IMAGE=${2:?--image needs a name}; shift 2 ;;
    --from-source) MODE=source; shift ;;
    --host) MODE=host; shift ;;
    -h|--help) sed -n '2,/^set -/p' "$SELF" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "docker-build.sh: unknown option $1 (see $0 --help)" >&2; exit 2 ;;
  esac
done
die() { echo "docker-build.sh: $*" >&2; exit 1; }

command -v docker >/dev/null 2>&1 || die "docker is not installed (apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "the Docker engine is not running or not reachable"
if [ -z "$MODE" ]; then
  if command -v cargo >/dev/null 2>&1; then MODE=host; else MODE=source; fi
fi

BINS=(camera-worker dashboard meteor-sim meteor-check)
if [ "$MODE" = source ]; then
  command -v git >/dev/null 2>&1 || die "--from-source needs git (the context is the tracked files)"
  echo "docker-build.sh: docker build -f docker/Dockerfile (multi-stage, pulls rust:bookworm)"
  git ls-files -z --cached --others --exclude-standard \
    | tar --null -T - -c --ignore-failed-read 2>/dev/null \
    | docker build -f docker/Dockerfile -t "$IMAGE" -
else
  scripts/docker-base.sh
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
  PROFILE=${METEOR_BUILD_PROFILE:-release}
  case "$PROFILE" in
    release) PROFILE_FLAG=(--release) ;;
    debug) PROFILE_FLAG=() ;;
    *) die "METEOR_BUILD_PROFILE: expected release or debug, got '$PROFILE'" ;;
  esac
  echo "docker-build.sh: cargo build ${PROFILE_FLAG[*]} ${BINS[*]/#/-p } (target: $CARGO_TARGET_DIR)"
  # shellcheck disable=SC2046
  cargo build "${PROFILE_FLAG[@]}" -q $(printf -- '-p %s ' "${BINS[@]}")
  CTX=$(mktemp -d /tmp/meteor-image.XXXXXX)
  trap 'rm -rf "$CTX"' EXIT
  mkdir -p "$CTX/bin"
  cp docker/runtime-setup.sh "$CTX/"
  for b in "${BINS[@]}"; do
    cp "$CARGO_TARGET_DIR/$PROFILE/$b" "$CTX/bin/$b"
    # Release builds keep line tables for backtraces here; the image does not need them.
    if command -v strip >/dev/null 2>&1; then strip --strip-debug "$CTX/bin/$b"; fi
  done
  echo "docker-build.sh: docker build -f docker/Dockerfile.runtime -t $IMAGE"
  docker build -q -f docker/Dockerfile.runtime -t "$IMAGE" "$CTX" >/dev/null
fi

bytes=$(docker image inspect -f '{{.Size}}' "$IMAGE")
echo "docker-build.sh: built $IMAGE: $((bytes / 1000000)) MB ($bytes bytes)"
