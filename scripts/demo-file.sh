#!/usr/bin/env bash
# File mode demo of the detection engine: it renders a simulated night sky (meteors plus planes, satellites, insects, birds,
# lightning, headlights, a camera clock), detects the meteors in it, prints what it found and
# where the files are, and scores the result against the simulator's ground truth.
#
#   scripts/run.sh --file-demo [PROFILE] [SECONDS]     PROFILE: mixed (default), quiet, shower, hard
set -euo pipefail
cd "$(dirname "$0")/.."
PROFILE=${1:-mixed}
DURATION=${2:-60}
OUT=${DEMO_OUT:-demo-output}

scripts/setup.sh
cargo build --release -q -p camera-worker -p meteor-sim

mkdir -p "$OUT/sky"
echo "== rendering a simulated ${PROFILE} sky (${DURATION} s, 1280x720 @ 30 fps) =="
target/release/meteor-sim render --seed 1 --profile "$PROFILE" --duration "$DURATION" \
  --out "$OUT/sky" --name "sky_${PROFILE}"
rm -rf "$OUT/detections/sky_${PROFILE}"
echo
echo "== detecting =="
target/release/camera-worker detect "$OUT/sky/sky_${PROFILE}.mp4" --output "$OUT/detections" \
  --exclude-bottom 0.1
echo
echo "== against the simulator's truth =="
target/release/meteor-sim score \
  --pair "$OUT/sky/sky_${PROFILE}.truth.json=$OUT/detections/sky_${PROFILE}/detections.jsonl"
echo
echo "Clips, composites and detections.jsonl: $OUT/detections/sky_${PROFILE}/"
