#!/usr/bin/env bash
# Runs meteor watch on this machine (no Docker): one camera-worker per camera and the dashboard.
#
# Cameras come from ./streamers (one rtsp:// URL a line, see streamers.sample), read by
# compose-gen by the same rules as for Docker: an error names the file and line, and each
# camera gets the name, display name (`| name=...`) and mask (`| daytime.jpg`, built into
# OUTPUT/masks) it would get under Docker. Without that file it runs on built-in simulated
# cameras: `meteor-sim serve` renders night skies with
# meteors, planes, satellites, insects and clouds, and serves them as RTSP cameras on
# 127.0.0.1, so the whole system can be watched at work. Ctrl-C stops everything.
#
#   scripts/run.sh [--cameras N] [--port 8080] [--output DIR] [--streamers FILE]
#
# --output defaults to demo-output in the repository; relative paths are taken from where it
# is started. METEOR_BIN_DIR=DIR runs the binaries in DIR instead of building them.
#   scripts/run.sh --file-demo [PROFILE] [SECONDS]   (file mode: render a sky, detect, score)
#
# In Docker, use scripts/meteor-docker.sh instead.
set -euo pipefail
here=$PWD
cd "$(dirname "$0")/.."
# A path given on the command line is taken from where the script was started.
from_caller() { case "$1" in /*) echo "$1" ;; *) echo "$here/$1" ;; esac; }

if [ "${1:-}" = "--file-demo" ]; then
  shift
  exec scripts/demo-file.sh "$@"
fi

CAMERAS=2
PORT=8080
OUT=${DEMO_OUT:-demo-output}
STREAMERS=streamers
while [ $# -gt 0 ]; do
  case "$1" in
    --cameras) CAMERAS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --output) OUT=$(from_caller "$2"); shift 2 ;;
    --streamers) STREAMERS=$(from_caller "$2"); shift 2
      [ -f "$STREAMERS" ] || { echo "run.sh: --streamers: no file $STREAMERS" >&2; exit 2; } ;;
    *) echo "run.sh: unknown option $1 (see the header of $0)" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
if [ -n "${METEOR_BIN_DIR:-}" ]; then
  BIN=$(from_caller "$METEOR_BIN_DIR")
  # Said before anything starts, rather than as a shell error halfway through.
  needed=(camera-worker dashboard)
  if [ -f "$STREAMERS" ]; then needed+=(compose-gen); else needed+=(meteor-sim); fi
  for b in "${needed[@]}"; do
    [ -x "$BIN/$b" ] || { echo "run.sh: METEOR_BIN_DIR: no program $b in $BIN" >&2; exit 2; }
  done
else
  cargo build --release -q -p camera-worker -p meteor-sim -p dashboard -p compose-gen
  BIN=target/release
fi
mkdir -p "$OUT"

# One camera a row: name, display name, mask, URL (what compose-gen --run-table writes).
rows=()
if [ -f "$STREAMERS" ]; then
  "$BIN/compose-gen" --streamers "$STREAMERS" --mask-output-dir "$OUT/masks" \
    --run-table "$OUT/cameras.tsv" > /dev/null
  while IFS= read -r row; do
    case "$row" in '#'* | '') continue ;; esac
    rows+=("$row")
  done < "$OUT/cameras.tsv"
  echo "cameras from $STREAMERS: ${#rows[@]}"
fi

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

if [ ${#rows[@]} -eq 0 ]; then
  SIM_PORT=$((PORT + 554))
  echo "no streamers file: running on $CAMERAS simulated cameras (rendering their skies the first time takes a minute)"
  "$BIN/meteor-sim" serve --port "$SIM_PORT" --cameras "$CAMERAS" --profile mixed \
    --options 1280x720@25:loop=120 --truth-dir "$OUT/truth" > "$OUT/sim.log" 2>&1 &
  pids+=($!)
  for i in $(seq 1 "$CAMERAS"); do rows+=("camera$i"$'\t\t\t'"rtsp://127.0.0.1:$SIM_PORT/cam$i"); done
  # wait until the server listens (it renders the loops first)
  for _ in $(seq 1 600); do
    grep -q "cam$CAMERAS:" "$OUT/sim.log" 2>/dev/null && break
    kill -0 "${pids[0]}" 2>/dev/null || { cat "$OUT/sim.log"; exit 1; }
    sleep 1
  done
fi

cams=""
i=0
tab=$'\t'
for row in "${rows[@]}"; do
  i=$((i + 1))
  wport=$((PORT + i))
  # Split by hand: `read` with a tab IFS would merge the empty fields.
  name=${row%%"$tab"*}; row=${row#*"$tab"}
  display=${row%%"$tab"*}; row=${row#*"$tab"}
  mask=${row%%"$tab"*}; url=${row#*"$tab"}
  (
    [ -n "$display" ] && export CAMERA_DISPLAY_NAME="$display"
    [ -n "$mask" ] && export MASK_IMAGE="$mask"
    RTSP_URL="$url" CAMERA_NAME="$name" OUTPUT_DIR="$OUT/detections/$name" \
      WEB_PORT="$wport" BIND=127.0.0.1 exec "$BIN/camera-worker" run > "$OUT/$name.log" 2>&1
  ) &
  pids+=($!)
  cams="${cams:+$cams,}$name=http://127.0.0.1:$wport"
  echo "$name${display:+ ($display)}: http://127.0.0.1:$wport/   (log $OUT/$name.log)"
done
CAMERAS="$cams" WEB_PORT="$PORT" BIND=127.0.0.1 "$BIN/dashboard" > "$OUT/dashboard.log" 2>&1 &
pids+=($!)
echo
echo "dashboard: http://127.0.0.1:$PORT/   (log $OUT/dashboard.log)"
echo "detections: $OUT/detections/<camera>/   Ctrl-C stops."
wait -n "${pids[@]}" || true
echo "a process ended; see the logs in $OUT/"
