#!/usr/bin/env bash
# Makes sure this machine's Docker engine answers, starting it when it is installed but not
# running: by systemd where the machine runs it, else `dockerd` in the background (a container
# or CI machine without systemd). Exits 0 once `docker info` answers, 1 with the reason and the
# engine's last log lines when it does not.
#
#   scripts/docker-engine.sh            (waits up to DOCKER_START_TIMEOUT seconds, default 60)
#
# A dockerd started here outlives the script, like one started by the init system would.
set -euo pipefail
TIMEOUT=${DOCKER_START_TIMEOUT:-60}
LOG=${TMPDIR:-/tmp}/meteor-dockerd.log

say() { echo "docker-engine.sh: $*" >&2; }
up() { docker info >/dev/null 2>&1; }

command -v docker >/dev/null 2>&1 || { say "docker is not installed (scripts/setup.sh installs docker.io)"; exit 1; }
up && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"
  else say "the Docker engine is not running and starting it needs root (or passwordless sudo)"; exit 1; fi
fi

# pidof, not a process list: a dockerd that is up but still starting must not get a twin.
if pidof dockerd >/dev/null 2>&1; then
  say "dockerd is running but not answering yet; waiting"
elif [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
  say "starting the Docker engine with systemctl"
  $SUDO systemctl start docker
else
  command -v dockerd >/dev/null 2>&1 || { say "dockerd is not installed (scripts/setup.sh installs docker.io)"; exit 1; }
  say "starting dockerd in the background (log: $LOG)"
  # setsid: the engine must not die with this script's session or its process group.
  $SUDO setsid nohup dockerd >"$LOG" 2>&1 </dev/null &
fi

for _ in $(seq "$TIMEOUT"); do
  up && { say "the Docker engine answers"; exit 0; }
  sleep 1
done
say "the Docker engine did not answer within ${TIMEOUT}s"
[ -f "$LOG" ] && tail -n 20 "$LOG" >&2
exit 1
