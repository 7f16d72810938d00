#!/usr/bin/env bash
# meteor watch under Docker Compose on simulated cameras: a `sim` container (meteor-sim serve,
# on the compose network meteor-net) plays night skies with meteors as RTSP cameras, and
# compose-gen writes the services for them exactly as for real cameras. The first camera
# needs a login whose password holds special characters, so the path of a password from
# the streamers file through .env to the worker is exercised too.
#
#   scripts/docker-demo.sh [--dir DIR] [--cameras N] [--port P] [--profile NAME]
#                          [--options SIMOPTS] [--no-build] [--no-up]
#
# DIR (default ./demo-docker) gets streamers, docker-compose.yml, .env,
# docker-compose.sim.yml and detections/. Stop it with
#   (cd DIR && docker-compose -f docker-compose.yml -f docker-compose.sim.yml down)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)

DIR=$REPO/demo-docker
CAMERAS=2
PORT=8080
PROFILE=shower
SIMOPTS=960x540@15:loop=40
BUILD=1
UP=1
IMAGE=${METEOR_IMAGE:-meteor-watch:latest}
# The first camera's login (meteor-sim checks it). `$` is written `$$` in the compose file.
SIM_USER=viewer
SIM_PASSWORD='p@ss w0rd#1|x:%zz$'
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --cameras) CAMERAS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --profile) PROFILE=$2; shift 2 ;;
    --options) SIMOPTS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --no-up) UP=0; shift ;;
    -h|--help) sed -n '2,/^set -/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "docker-demo.sh: unknown option $1 (see $0 --help)" >&2; exit 2 ;;
  esac
done
die() { echo "docker-demo.sh: $*" >&2; exit 1; }
[[ "$CAMERAS" =~ ^[1-9][0-9]*$ ]] || die "--cameras must be a positive number"

command -v docker >/dev/null 2>&1 || die "docker is not installed"
docker info >/dev/null 2>&1 || die "cannot reach the Docker engine"
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then COMPOSE=(docker-compose)
else die "neither \`docker compose\` nor \`docker-compose\` is installed"; fi

if [ "$BUILD" = 1 ]; then "$REPO/scripts/docker-build.sh" --image "$IMAGE"; fi
docker image inspect "$IMAGE" >/dev/null 2>&1 || die "no image $IMAGE (run scripts/docker-build.sh)"

mkdir -p "$DIR"
{
  echo "# simulated cameras served by the sim container (scripts/docker-demo.sh)"
  echo "rtsp://$SIM_USER:$SIM_PASSWORD@sim:8554/cam1 | name=Simulated sky 1"
  for i in $(seq 2 "$CAMERAS"); do echo "rtsp://sim:8554/cam$i | name=Simulated sky $i"; done
} >"$DIR/streamers"

CG=${COMPOSE_GEN:-}
if [ -z "$CG" ]; then
  (cd "$REPO" && cargo build --release -q -p compose-gen)
  CG=${CARGO_TARGET_DIR:-$REPO/target}/release/compose-gen
fi
(cd "$DIR" && "$CG" --image "$IMAGE" --base-port "$PORT" --bind 127.0.0.1 \
   --sensitivity high --buffer 5 --memory-limit 1g)

cat >"$DIR/docker-compose.sim.yml" <<EOF
# The simulated cameras for docker-compose.yml (scripts/docker-demo.sh): $CAMERAS camera(s)
# at rtsp://sim:8554/camN on meteor-net; cam1 needs the login in streamers.
services:
  sim:
    image: "$IMAGE"
    container_name: meteor-sim
    command:
    - meteor-sim
    - serve
    - --bind
    - 0.0.0.0
    - --port
    - "8554"
    - --cameras
    - "$CAMERAS"
    - --profile
    - $PROFILE
    - --options
    - "$SIMOPTS"
    - --auth
    - 'cam1=$SIM_USER:${SIM_PASSWORD//\$/\$\$}'
    user: "1000:1000"
    restart: unless-stopped
    networks:
    - meteor-net
    logging:
      driver: json-file
      options:
        max-size: 10m
        max-file: '2'
EOF

if [ "$UP" = 1 ]; then
  (cd "$DIR" && "${COMPOSE[@]}" -f docker-compose.yml -f docker-compose.sim.yml up -d)
  echo "docker-demo.sh: running; the dashboard: http://127.0.0.1:$PORT (the cameras render"
  echo "  their skies first, a minute or two). Stop: (cd $DIR && ${COMPOSE[*]} -f docker-compose.yml -f docker-compose.sim.yml down)"
fi
