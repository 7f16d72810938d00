#!/usr/bin/env bash
# Installs meteor watch on bare metal under systemd (docs/bare-metal.md): the camera-worker
# and dashboard binaries, the `meteor` system user, the directories, the units from systemd/
# and, where none exist yet, the example environment files. Safe to run again to upgrade:
# binaries and units are replaced, environment files are never overwritten.
#
#   scripts/install-systemd.sh [--from DIR] [--prefix DIR] [--destdir DIR] [--dry-run]
#
#   --from DIR     where the built binaries are (default: target/release of this checkout)
#   --prefix DIR   where they are installed, DIR/bin, and where the units run them from
#                  (default /usr/local)
#   --destdir DIR  stage everything below DIR instead of / (also DESTDIR=DIR); the user, file
#                  owners and systemctl are then left alone (packaging, tests)
#   --dry-run      print what would be done, change nothing
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FROM="$ROOT/target/release"
PREFIX=/usr/local
DESTDIR=${DESTDIR:-}
DRY=0
BINS=(camera-worker dashboard)
UNITS=(camera-worker@.service meteor-dashboard.service meteor-watch.target)
ENV_FILES=(camera-front.env dashboard.env)

die() { echo "install-systemd: $*" >&2; exit 2; }
usage() { sed -n '/^#   scripts/,/^#   --dry-run/s/^# \{0,1\}//p' "$0"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --from) FROM=${2:?--from needs a directory}; shift 2 ;;
    --from=*) FROM=${1#*=}; shift ;;
    --prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --destdir) DESTDIR=${2:?--destdir needs a directory}; shift 2 ;;
    --destdir=*) DESTDIR=${1#*=}; shift ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path, got $PREFIX" ;; esac
PREFIX=${PREFIX%/}
[ -n "$DESTDIR" ] && DESTDIR=$(realpath -m "$DESTDIR")

# Runs a command, or only shows it with --dry-run.
run() {
  echo "+ $*"
  [ "$DRY" = 1 ] || "$@"
}

for b in "${BINS[@]}"; do
  [ -x "$FROM/$b" ] || die "$FROM/$b: not found or not executable; run 'cargo build --release' first or give --from DIR"
done
for f in "${UNITS[@]}" "${ENV_FILES[@]/#/examples/}"; do
  [ -f "$ROOT/systemd/$f" ] || die "$ROOT/systemd/$f is missing from this checkout"
done
SYSTEM=1
if [ -n "$DESTDIR" ]; then
  SYSTEM=0
elif [ "$DRY" = 0 ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (sudo $0 $*), or use --dry-run / --destdir"
fi

BINDIR=$DESTDIR$PREFIX/bin
UNITDIR=$DESTDIR/etc/systemd/system
CONFDIR=$DESTDIR/etc/meteor-watch
STATEDIR=$DESTDIR/var/lib/meteor-watch
LOGDIR=$DESTDIR/var/log/meteor-watch

echo "install-systemd: binaries from $FROM to $BINDIR${DESTDIR:+ (staged below $DESTDIR)}"
if [ "$SYSTEM" = 1 ]; then
  if getent passwd meteor >/dev/null; then
    echo "install-systemd: user meteor exists"
  else
    run useradd --system --user-group --home-dir /var/lib/meteor-watch --no-create-home \
      --shell /usr/sbin/nologin --comment "meteor watch" meteor
  fi
fi

# systemd creates each camera's /var/lib/meteor-watch/<camera> and hands it and the log
# directory to the meteor user at start (StateDirectory=, LogsDirectory=).
run install -d -m 755 "$BINDIR" "$UNITDIR" "$CONFDIR" "$CONFDIR/masks" "$STATEDIR" "$LOGDIR"
for b in "${BINS[@]}"; do
  # A new file renamed into place: a running service keeps its old binary until restarted.
  run install -m 755 "$FROM/$b" "$BINDIR/.$b.new"
  run mv -f "$BINDIR/.$b.new" "$BINDIR/$b"
done

for u in "${UNITS[@]}"; do
  if [ "$DRY" = 1 ]; then
    echo "+ install -m 644 systemd/$u $UNITDIR/$u (ExecStart from $PREFIX/bin)"
  else
    sed "s|/usr/local/bin/|$PREFIX/bin/|g" "$ROOT/systemd/$u" >"$UNITDIR/.$u.new"
    chmod 644 "$UNITDIR/.$u.new"
    mv -f "$UNITDIR/.$u.new" "$UNITDIR/$u"
    echo "+ installed $UNITDIR/$u"
  fi
done

# Environment files hold camera passwords and tokens: root:meteor, 640. Never overwritten.
for e in "${ENV_FILES[@]}"; do
  if [ -e "$CONFDIR/$e" ]; then
    echo "install-systemd: keeping the existing $CONFDIR/$e"
    continue
  fi
  run install -m 640 "$ROOT/systemd/examples/$e" "$CONFDIR/$e"
  if [ "$SYSTEM" = 1 ]; then
    run chown root:meteor "$CONFDIR/$e"
  fi
done

if [ "$SYSTEM" = 1 ] && [ -d /run/systemd/system ]; then
  run systemctl daemon-reload
fi

cat <<NEXT

Next steps:
  1. One environment file per camera, named after it: edit /etc/meteor-watch/camera-front.env
     (RTSP_URL, WEB_PORT, ...) or copy it to camera-<name>.env for each camera.
  2. List the workers in /etc/meteor-watch/dashboard.env (CAMERAS=front=http://127.0.0.1:8081,...).
  3. Enable and start them:
       systemctl enable --now meteor-watch.target meteor-dashboard.service camera-worker@front.service
  4. Check: systemctl status 'camera-worker@*' meteor-dashboard; journalctl -u camera-worker@front -f
     $PREFIX/bin/camera-worker healthcheck --port 8081
After an upgrade (binaries and units replaced): systemctl daemon-reload && systemctl restart meteor-watch.target
NEXT
