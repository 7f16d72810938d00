#!/usr/bin/env bash
# Runs meteor watch on this machine (no Docker): one camera-worker per camera and the dashboard.
#
# Cameras come from ./streamers (one rtsp:// URL a line, see streamers.sample). Without that
# file it runs on built-in simulated cameras: `meteor-sim serve` renders night skies with
# meteors, planes, satellites, insects and clouds, and serves them as RTSP cameras on
# 127.0.0.1, so the whole system can be watched at work. Ctrl-C stops everything.
#
#   scripts/run.sh [--cameras N] [--port 8080] [--output DIR]
#   scripts/run.sh --file-demo [PROFILE] [SECONDS]   (file mode: render a sky, detect, score)
#
# In Docker, use scripts/meteor-docker.sh instead.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--file-demo" ]; then
  shift
  exec scripts/demo-file.sh "$@"
fi

CAMERAS=2
PORT=8080
OUT=${DEMO_OUT:-demo-output}
while [ $# -gt 0 ]; do
  case "$1" in
    --cameras) CAMERAS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --output) OUT=$2; shift 2 ;;
    *) echo "run.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
cargo build --release -q -p camera-worker -p meteor-sim -p dashboard
BIN=target/release
mkdir -p "$OUT"

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo "stopping..."
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

urls=()
if [ -f streamers ]; then
  while IFS= read -r line; do
    line="${line%%#*}"; line="${line%%|*}"; line="$(echo "$line" | xargs)"
    [ -n "$line" ] && urls+=("$line")
  done < streamers
  echo "cameras from ./streamers: ${#urls[@]}"
else
  SIM_PORT=$((PORT + 554))
  echo "no ./streamers file: running on $CAMERAS simulated cameras (rendering their skies the first time takes a minute)"
  "$BIN/meteor-sim" serve --port "$SIM_PORT" --cameras "$CAMERAS" --profile mixed \
    --options 1280x720@25:loop=120 --truth-dir "$OUT/truth" > "$OUT/sim.log" 2>&1 &
  pids+=($!)
  for i in $(seq 1 "$CAMERAS"); do urls+=("rtsp://127.0.0.1:$SIM_PORT/cam$i"); done
  # wait until the server listens (it renders the loops first)
  for _ in $(seq 1 600); do
    grep -q "cam$CAMERAS:" "$OUT/sim.log" 2>/dev/null && break
    kill -0 "${pids[0]}" 2>/dev/null || { cat "$OUT/sim.log"; exit 1; }
    sleep 1
  done
fi

cams=""
i=0
for url in "${urls[@]}"; do
  i=$((i + 1))
  wport=$((PORT + i))
  RTSP_URL="$url" CAMERA_NAME="camera$i" OUTPUT_DIR="$OUT/detections/camera$i" \
    WEB_PORT="$wport" BIND=127.0.0.1 "$BIN/camera-worker" run > "$OUT/camera$i.log" 2>&1 &
  pids+=($!)
  cams="${cams:+$cams,}camera$i=http://127.0.0.1:$wport"
  echo "camera$i: http://127.0.0.1:$wport/   (log $OUT/camera$i.log)"
done
CAMERAS="$cams" WEB_PORT="$PORT" BIND=127.0.0.1 "$BIN/dashboard" > "$OUT/dashboard.log" 2>&1 &
pids+=($!)
echo
echo "dashboard: http://127.0.0.1:$PORT/   (log $OUT/dashboard.log)"
echo "detections: $OUT/detections/<camera>/   Ctrl-C stops."
wait -n "${pids[@]}" || true
echo "a process ended; see the logs in $OUT/"
