#!/usr/bin/env bash
# meteor watch under Docker Compose: one command for the daily tasks. Run it from anywhere;
# it works in the repository root (where `generate` writes docker-compose.yml, .env, masks/
# and detections/), or in $METEOR_DIR when that is set.
#
#   meteor-docker.sh generate [compose-gen options]   streamers -> docker-compose.yml + .env
#   meteor-docker.sh build | rebuild                  the image (rebuild: and recreate services)
#   meteor-docker.sh start | stop | restart [service] up -d / down / restart
#   meteor-docker.sh status                           containers, CPU/memory, detections per camera
#   meteor-docker.sh logs [service]                   follow the logs (all services, or one)
#   meteor-docker.sh health                           each container's health check; 1 if one fails
#   meteor-docker.sh check [meteor-check options]     the whole installation (docs/monitoring.md):
#                                                     services, streams, store, disk; exit 0/1/2/3
#   meteor-docker.sh clean [--days N] [--yes]         remove clips/images of events older than N days (records stay)
#   meteor-docker.sh cleanup                          this project's stopped containers, dangling images
#   meteor-docker.sh demo [--cameras N] [--port P]    simulated cameras under compose (demo-docker/)
#
# Works with the `docker compose` plugin or the standalone `docker-compose`.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
DIR=${METEOR_DIR:-$REPO}
IMAGE=${METEOR_IMAGE:-meteor-watch:latest}
LABEL=io.meteor-watch.project=meteor-watch

die() { echo "meteor-docker.sh: $*" >&2; exit 1; }
say() { echo "meteor-docker.sh: $*"; }

need_docker() {
  command -v docker >/dev/null 2>&1 \
    || die "docker is not installed (Debian: apt-get install docker.io docker-compose)"
  docker info >/dev/null 2>&1 \
    || die "cannot reach the Docker engine: is it running (systemctl start docker) and may you use it (the docker group, or root)?"
}

# Sets COMPOSE to the Compose command, plugin first.
COMPOSE=()
need_compose() {
  need_docker
  if docker compose version >/dev/null 2>&1; then
    COMPOSE=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    COMPOSE=(docker-compose)
  else
    die "neither \`docker compose\` nor \`docker-compose\` is installed (Debian: apt-get install docker-compose)"
  fi
}

need_compose_file() {
  need_compose
  [ -f "$DIR/docker-compose.yml" ] || die "no $DIR/docker-compose.yml: write ./streamers \
(see streamers.sample), then run \`$0 generate\`"
}

# The compose files: docker-compose.yml, plus the simulated cameras in a demo folder.
compose() {
  local files=(-f docker-compose.yml)
  [ -f "$DIR/docker-compose.sim.yml" ] && files+=(-f docker-compose.sim.yml)
  (cd "$DIR" && "${COMPOSE[@]}" "${files[@]}" "$@")
}

# This project's containers (the image label), names only.
project_containers() { docker ps -a --filter "label=$LABEL" --format '{{.Names}}' "$@"; }

# Prints JSON read from stdin as one value: python3 or jq, whichever is there.
json() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c "$1"
  elif command -v jq >/dev/null 2>&1; then
    jq -r "$2"
  else
    cat
  fi
}

compose_gen() {
  if [ -x "$REPO/target/release/compose-gen" ] && [ -z "${METEOR_REBUILD_TOOLS:-}" ]; then
    "$REPO/target/release/compose-gen" "$@"
  else
    command -v cargo >/dev/null 2>&1 || die "compose-gen is not built and cargo is missing (https://rustup.rs)"
    cargo build --release -q --manifest-path "$REPO/Cargo.toml" -p compose-gen
    "${CARGO_TARGET_DIR:-$REPO/target}/release/compose-gen" "$@"
  fi
}

cmd_generate() {
  local has_streamers=0
  for a in "$@"; do case "$a" in --streamers|--streamers=*) has_streamers=1 ;; esac; done
  if [ "$has_streamers" = 0 ] && [ ! -f "$DIR/streamers" ]; then
    die "no $DIR/streamers: copy streamers.sample to streamers and put your cameras in it"
  fi
  (cd "$DIR" && compose_gen "$@")
}

cmd_status() {
  need_compose_file
  compose ps
  local names
  names=$(project_containers --filter status=running)
  if [ -n "$names" ]; then
    echo
    # shellcheck disable=SC2086
    docker stats --no-stream --format 'table {{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.NetIO}}' $names
  fi
  local port
  port=$(compose port dashboard 8080 2>/dev/null | sed 's/.*://' || true)
  echo
  if [ -z "$port" ]; then say "the dashboard is not running"; return 0; fi
  local body
  if ! body=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/api/cameras" 2>/dev/null); then
    say "the dashboard on port $port does not answer yet"; return 0
  fi
  echo "$body" | json '
import json, sys
d = json.load(sys.stdin)
print("%s of %s camera(s) online" % (d["online"], d["total"]))
row = "%-24s %-7s %10s  %s"
print(row % ("camera", "online", "detections", "latest"))
for c in d["cameras"]:
    det = c.get("worker_detections") or {}
    last = ((c.get("stats") or {}).get("last_detection") or {}).get("start_time") or "-"
    print(row % (c["name"], str(c["online"]).lower(), det.get("total", "?"), last))
' '"\(.online) of \(.total) camera(s) online", (.cameras[] | "\(.name)\tonline=\(.online)\tdetections=\(.worker_detections.total // "?")\tlatest=\(.stats.last_detection.start_time // "-")")'
}

cmd_health() {
  need_compose_file
  local bad=0 any=0 name state
  for name in $(project_containers); do
    any=1
    state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}no-healthcheck{{end}}' "$name")
    printf '%-24s %s\n' "$name" "$state"
    case "$state" in "running healthy"|"running no-healthcheck") ;; *) bad=1 ;; esac
  done
  [ "$any" = 1 ] || die "no meteor watch containers (start them with \`$0 start\`)"
  [ "$bad" = 0 ] || { say "some containers are not healthy (\`$0 logs SERVICE\` tells why)"; exit 1; }
  say "all healthy"
}

# meteor-check in a one-off container of the dashboard service (the project's image, on the
# compose network where the services answer by name) with the detections folder at /output.
# Its exit status (0 OK, 1 WARN, 2 CRIT, 3 could not run) is this command's.
cmd_check() {
  # Without Docker or a compose file the check cannot run: Nagios UNKNOWN (3), not 1.
  (need_compose_file) || exit 3
  need_compose_file
  local det="$DIR/detections"
  [ -d "$det" ] || { echo "UNKNOWN meteor-check: no $det (start the services first)"; exit 3; }
  # Compose chatters on stderr ("Creating ..."; v1 also prints the exit status), which would
  # make cron mail every run: it is shown only when the check could not run.
  local rc=0 err
  err=$(mktemp)
  compose run --rm --no-deps -T --name "meteor-check-$$" -v "$det:/output" dashboard \
    meteor-check --dashboard http://dashboard:8080 --output /output "$@" 2>"$err" || rc=$?
  case "$rc" in 0|1|2) ;; *) cat "$err" >&2 ;; esac
  rm -f "$err"
  exit "$rc"
}

# Retention by hand: `camera-worker prune` in a one-off container of the image, on the
# detections folder. Only events' clips and images go (oldest first, events labelled meteor
# kept); records, labels, settings and masks stay. A dry run is shown first.
cmd_clean() {
  local days=30 yes=0 keep=true
  while [ $# -gt 0 ]; do
    case "$1" in
      --days) days=${2:?--days needs a number}; shift 2 ;;
      --yes|-y) yes=1; shift ;;
      --include-meteors) keep=false; shift ;;
      *) die "clean: unknown option $1 (clean [--days N] [--include-meteors] [--yes])" ;;
    esac
  done
  [[ "$days" =~ ^[0-9]+$ ]] && [ "$days" -gt 0 ] \
    || die "clean: --days must be a whole number of days above 0, not $days"
  need_compose_file
  local det="$DIR/detections"
  [ -d "$det" ] || { say "no $det: nothing to clean"; return 0; }
  # Compose's own chatter on stderr is shown only when the pass fails.
  prune() {
    local err rc=0
    err=$(mktemp)
    compose run --rm --no-deps -T --name "meteor-prune-$$" -v "$det:/output" dashboard \
      camera-worker prune --output /output --max-age-days "$days" --keep-meteors "$keep" "$@" \
      2>"$err" || rc=$?
    [ "$rc" = 0 ] || cat "$err" >&2
    rm -f "$err"
    return "$rc"
  }
  prune --dry-run || die "clean: the prune pass failed (above); is the image built (meteor-docker.sh build)?"
  if [ "$yes" = 0 ]; then
    [ -t 0 ] || die "clean: not a terminal; add --yes to delete without asking"
    read -r -p "delete them? [y/N] " answer
    case "$answer" in y|Y|yes) ;; *) say "nothing deleted"; return 0 ;; esac
  fi
  prune
}

cmd_cleanup() {
  need_docker
  local stopped
  stopped=$(project_containers --filter status=exited --filter status=created --filter status=dead)
  if [ -n "$stopped" ]; then
    # shellcheck disable=SC2086
    docker rm $stopped >/dev/null
    say "removed stopped container(s): $(echo $stopped)"
  fi
  local images
  images=$(docker images -q --filter dangling=true --filter "label=$LABEL")
  if [ -n "$images" ]; then
    # shellcheck disable=SC2086
    docker rmi $images >/dev/null
    say "removed $(echo "$images" | wc -l) dangling meteor watch image(s)"
  fi
  [ -n "$stopped$images" ] || say "nothing to clean up"
}

usage() { sed -n '2,/^set -/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; }

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  generate) cmd_generate "$@" ;;
  build) "$REPO/scripts/docker-build.sh" --image "$IMAGE" "$@" ;;
  rebuild)
    "$REPO/scripts/docker-build.sh" --image "$IMAGE" "$@"
    need_compose_file
    compose up -d --force-recreate ;;
  start)
    need_compose_file
    docker image inspect "$IMAGE" >/dev/null 2>&1 || die "no image $IMAGE: run \`$0 build\` first"
    compose up -d "$@"
    say "started; the dashboard: http://localhost:$(compose port dashboard 8080 | sed 's/.*://')" ;;
  stop) need_compose_file; compose down "$@" ;;
  restart) need_compose_file; compose restart "$@" ;;
  status) cmd_status ;;
  logs) need_compose_file; compose logs -f --tail=200 "$@" ;;
  health) cmd_health ;;
  check) cmd_check "$@" ;;
  clean) cmd_clean "$@" ;;
  cleanup) cmd_cleanup ;;
  demo) exec "$REPO/scripts/docker-demo.sh" "$@" ;;
  ""|-h|--help|help) usage ;;
  *) usage >&2; die "unknown command: $cmd" ;;
esac
