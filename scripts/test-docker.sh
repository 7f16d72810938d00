#!/usr/bin/env bash
# The end-to-end test on this machine's Docker engine (run by the workspace tests through
# compose-gen/tests/docker_e2e.rs; exits non-zero, loudly, when the engine is missing):
#
#  1. builds the image (scripts/docker-build.sh) and starts simulated cameras plus the
#     services compose-gen generates for them (scripts/docker-demo.sh), cam1 behind a login
#     whose password holds special characters;
#  2. waits until every container is healthy; curls the dashboard's /detections until the
#     simulated meteors appear, with their clips and composites on the host in ./detections,
#     and each camera's /stats;
#  3. `meteor-docker.sh check` (meteor-check in a container) says all is well, and
#     `meteor-docker.sh clean` removes an old event's clip but keeps its record;
#  4. stops one camera container: the dashboard reports it offline while the others keep
#     detecting; starts it again: it recovers;
#  5. `down`: ./detections keeps everything;
#  6. 16 cameras: generate, `config` validates, all 17 services start and become healthy.
#
#   scripts/test-docker.sh [--keep] [--no-build]    (--keep: leave the folder for a look)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
KEEP=0
BUILD=(--no-build)
DO_BUILD=1
for a in "$@"; do
  case "$a" in
    --keep) KEEP=1 ;;
    --no-build) DO_BUILD=0 ;;
    *) echo "test-docker.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
PORT=${E2E_PORT:-18080}
CAMS=3
IMAGE=${METEOR_IMAGE:-meteor-watch:latest}
export METEOR_IMAGE=$IMAGE
WORK=$(mktemp -d /tmp/meteor-e2e.XXXXXX)
STEP="setup"
WHY=""

# Said where it happens and again after the containers' logs, so that it is the last thing
# printed (CI shows only the start and the end of a long output).
say_failure() {
  echo >&2
  echo "########################################################################" >&2
  echo "test-docker.sh: FAILED at '$STEP': $WHY" >&2
  echo "########################################################################" >&2
}
fail() {
  WHY="$*"
  say_failure
  exit 1
}
log() { echo "test-docker.sh [$(date +%T)] $*"; }
# Any other failing command: say where, as loudly.
trap 'WHY="line $LINENO: $BASH_COMMAND"; say_failure' ERR

if ! command -v docker >/dev/null 2>&1; then
  fail "docker is not installed: this end-to-end test needs a Docker engine (apt-get install docker.io docker-compose)"
fi
# A machine whose engine is installed but stopped (CI starts none) gets it started.
"$REPO/scripts/docker-engine.sh" || fail "the Docker engine is not reachable and could not be started (scripts/docker-engine.sh said why above)"
if docker compose version >/dev/null 2>&1; then COMPOSE=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then COMPOSE=(docker-compose)
else fail "neither \`docker compose\` nor \`docker-compose\` is installed"; fi
command -v curl >/dev/null 2>&1 || fail "curl is missing"
command -v python3 >/dev/null 2>&1 || fail "python3 is missing (reads the JSON answers)"

dc() { (cd "$WORK" && "${COMPOSE[@]}" -p meteor-e2e -f docker-compose.yml -f docker-compose.sim.yml "$@"); }
finish() {
  local rc=$?
  if [ "$rc" != 0 ] && [ -f "$WORK/docker-compose.yml" ]; then
    echo "---- container states and last logs ----" >&2
    dc ps >&2 || true
    dc logs --tail=40 >&2 || true
    say_failure
  fi
  if [ -f "$WORK/docker-compose.yml" ]; then dc down --remove-orphans >/dev/null 2>&1 || true; fi
  if [ -f "$WORK/big/docker-compose.yml" ]; then
    (cd "$WORK/big" && "${COMPOSE[@]}" -p meteor-e2e-16 down >/dev/null 2>&1) || true
  fi
  if [ "$KEEP" = 1 ]; then echo "test-docker.sh: kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap finish EXIT

# `get URL PYTHON-EXPR`: the expression on the JSON answer (as `d`), or nothing on failure.
get() {
  curl -fsS --max-time 5 "$1" 2>/dev/null \
    | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)" 2>/dev/null || true
}
# `wait_for SECONDS WHAT COMMAND...`: until the command succeeds.
wait_for() {
  local limit=$1 what=$2 start=$SECONDS
  shift 2
  log "waiting (at most ${limit}s) until $what"
  until "$@"; do
    [ $((SECONDS - start)) -lt "$limit" ] || fail "$what: not after ${limit}s"
    sleep 3
  done
  log "  ok after $((SECONDS - start))s: $what"
}
all_healthy() {
  local want=$1 project=$2 n
  n=$(docker ps --filter "label=com.docker.compose.project=$project" \
        --filter health=healthy --format '{{.Names}}' | wc -l)
  [ "$n" -ge "$want" ]
}

STEP="build"
if [ "$DO_BUILD" = 1 ]; then
  "$REPO/scripts/docker-build.sh" --image "$IMAGE" || fail "the image did not build (see above)"
fi
docker image inspect "$IMAGE" >/dev/null 2>&1 || fail "no image $IMAGE"

STEP="generate and start"
"$REPO/scripts/docker-demo.sh" "${BUILD[@]}" --no-up --dir "$WORK" --cameras "$CAMS" \
  --port "$PORT" --options "${E2E_SIMOPTS:-960x540@15:loop=40}"
grep -q 'p%40ss' "$WORK/.env" || fail ".env does not hold cam1's encoded password"
if grep -q 'p%40ss\|w0rd' "$WORK/docker-compose.yml"; then fail "a password is in docker-compose.yml"; fi
[ "$(stat -c %a "$WORK/.env")" = 600 ] || fail ".env is not mode 0600"
dc config -q || fail "compose refused the generated files"
dc up -d

STEP="healthy"
wait_for 240 "the $CAMS cameras and the dashboard are healthy" \
  all_healthy $((CAMS + 1)) meteor-e2e
DASH=http://127.0.0.1:$PORT

STEP="stats"
connected() {
  local i
  for i in $(seq 1 "$CAMS"); do
    [ "$(get "http://127.0.0.1:$((PORT + i))/stats" 'd["connected"]')" = True ] || return 1
  done
}
wait_for 300 "every camera's /stats says connected (cam1 logs in with the special password)" connected
for i in $(seq 1 "$CAMS"); do
  log "  camera$i /stats: $(get "http://127.0.0.1:$((PORT + i))/stats" \
    '"%s %s fps=%s frames=%s state=%s" % (d["camera"], d["resolution"], d["processing_fps"], d["frames"], d["detection_state"])')"
done

STEP="detections"
with_files() {
  local n
  n=$(get "$DASH/detections?limit=1000" \
    'sum(1 for e in d["detections"] if e.get("clip") and e.get("composite"))')
  [ "${n:-0}" -ge 1 ] || return 1
  [ -n "$(find "$WORK/detections" -name 'meteor_*.mp4' -size +1k | head -n1)" ] || return 1
  [ -n "$(find "$WORK/detections" -name 'meteor_*_composite.jpg' -size +1k | head -n1)" ]
}
wait_for 600 "the dashboard's /detections lists meteors with clips and composites on the host" with_files
log "  $(get "$DASH/detections?limit=1000" '"%d detection(s) from %s" % (d["total"], sorted({e["camera"] for e in d["detections"]}))')"

STEP="meteor-docker.sh check"
# The wrapper's commands run on the same compose project as the services.
mdocker() { METEOR_DIR="$WORK" COMPOSE_PROJECT_NAME=meteor-e2e "$REPO/scripts/meteor-docker.sh" "$@"; }
rc=0
report=$(mdocker check --json) || rc=$?
status=$(echo "$report" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], len([c for c in d["components"] if c["kind"]=="stream"]))' 2>/dev/null || true)
[ "$rc" = 0 ] && [ "$status" = "ok $CAMS" ] \
  || fail "meteor-check in a container: exit $rc, status/streams '$status' (want 'ok $CAMS'):
$report"
log "  meteor-docker.sh check: exit 0, $CAMS streams OK"

STEP="meteor-docker.sh clean"
# An event from 2020 with a clip, beside the fresh ones: clean --days 1 removes only its file.
cam1=$(cd "$WORK/detections" && ls -d camera1_* | head -n1)
old_id=20200101_000000_0000e2e0
printf '{"id":"%s","camera":"%s","start_time":"2020-01-01T00:00:00.000Z","end_time":"2020-01-01T00:00:00.500Z","start_offset_s":0,"end_offset_s":0.5,"duration_s":0.5,"start_xy":[1,2],"end_xy":[30,40],"length_px":50,"speed_px_s":100,"peak_brightness":80,"peak_snr":20,"confidence":0.9,"sensitivity":"medium","frames":12,"width":960,"height":540,"clip":"meteor_%s.mp4"}\n' \
  "$old_id" "$cam1" "$old_id" >>"$WORK/detections/$cam1/detections.jsonl"
head -c 4096 /dev/urandom >"$WORK/detections/$cam1/meteor_$old_id.mp4"
fresh=$(find "$WORK/detections" -name 'meteor_*.mp4' -not -name "*$old_id*" | wc -l)
out=$(mdocker clean --days 1 --yes) || fail "clean failed: $out"
echo "$out" | grep -q "$cam1: would remove the files of 1 event" || fail "clean's dry run did not list the old event: $out"
[ ! -e "$WORK/detections/$cam1/meteor_$old_id.mp4" ] || fail "clean left the old clip"
[ "$(find "$WORK/detections" -name 'meteor_*.mp4' | wc -l)" -ge "$fresh" ] || fail "clean removed fresh clips"
grep -q "\"id\":\"$old_id\"" "$WORK/detections/$cam1/detections.jsonl" || fail "clean removed the record"
grep -q "\"pruned\":true" "$WORK/detections/$cam1/annotations.jsonl" || fail "no pruned mark"
log "  meteor-docker.sh clean: the 2020 event lost its clip, its record and the fresh clips stay"

STEP="one camera down"
online() { get "$DASH/api/cameras/camera$1" 'd["online"]'; }
frames() { get "http://127.0.0.1:$((PORT + $1))/stats" 'd["frames"]'; }
docker stop meteor-camera2 >/dev/null
is_offline() { [ "$(online 2)" = False ]; }
wait_for 90 "the dashboard reports camera2 offline" is_offline
f1=$(frames 1); f3=$(frames 3)
sleep 10
[ "$(online 1)" = True ] && [ "$(online 3)" = True ] || fail "camera1/camera3 went offline too"
[ "$(frames 1)" -gt "${f1:-0}" ] && [ "$(frames 3)" -gt "${f3:-0}" ] \
  || fail "camera1/camera3 stopped receiving frames while camera2 was down"
docker start meteor-camera2 >/dev/null
is_online() { [ "$(online 2)" = True ]; }
wait_for 120 "camera2 is back online" is_online

STEP="down keeps detections"
snapshot() { (cd "$WORK/detections" && find . -type f | sort | xargs -r sha1sum); }
# Hidden .part files are writes in progress: renamed into place or removed, never kept.
names_running=$( (cd "$WORK/detections" && find . -type f -not -name '.*' | sort) )
dc stop
leftover=$(cd "$WORK/detections" && find . -type f -name '.*.part')
[ -z "$leftover" ] || fail "half-written files left after a clean stop: $leftover"
before=$(snapshot)
dc down
after=$(snapshot)
[ "$before" = "$after" ] || fail "./detections changed on down"
missing=$(comm -23 <(echo "$names_running") <(cd "$WORK/detections" && find . -type f | sort))
[ -z "$missing" ] || fail "files gone after stop/down: $missing"
log "  ./detections kept its $(echo "$after" | wc -l) file(s)"

STEP="16 cameras"
mkdir -p "$WORK/big"
for i in $(seq 1 16); do echo "rtsp://viewer:pw-$i@cam$i.invalid:554/stream1"; done >"$WORK/big/streamers"
(cd "$WORK/big" && "${COMPOSE_GEN:-$REPO/target/release/compose-gen}" --image "$IMAGE" \
   --base-port "$((PORT + 100))" --bind 127.0.0.1 --memory-limit 512m)
(cd "$WORK/big" && "${COMPOSE[@]}" -p meteor-e2e-16 config -q) || fail "16 cameras: config refused"
(cd "$WORK/big" && "${COMPOSE[@]}" -p meteor-e2e-16 up -d)
wait_for 300 "all 16 cameras and the dashboard are healthy" all_healthy 17 meteor-e2e-16
total=$(get "http://127.0.0.1:$((PORT + 100))/api/cameras" 'd["total"]')
[ "$total" = 16 ] || fail "the dashboard of the 16-camera set knows $total camera(s)"
(cd "$WORK/big" && "${COMPOSE[@]}" -p meteor-e2e-16 down)

STEP="done"
echo "test-docker.sh: 1 passed, 0 failed"
