#!/bin/sh
# Sets up the meteor watch runtime image on Debian bookworm (run once, as root, by both
# docker/Dockerfile and docker/Dockerfile.runtime): the GStreamer and OpenCV runtime
# libraries the binaries link, exactly the GStreamer elements they use, and the non-root
# user 1000 ("meteor") the services run as.
#
# gstreamer1.0-plugins-good/-bad/-ugly each drag in dozens of libraries for elements meteor
# watch never uses (Vulkan, Wayland, WebRTC, PulseAudio, ...). They are installed only to
# take the few plugins needed out of them, then purged, and the plugins put back: the script
# then proves every element loads (gst-inspect-1.0) and every library resolves (ldd).
set -eu

LIBDIR=/usr/lib/x86_64-linux-gnu
PLUGDIR=$LIBDIR/gstreamer-1.0

# Packages that stay: the libraries the binaries and the kept plugins link, and the tz
# database TIMEZONE names are looked up in.
KEEP="
  libgstreamer1.0-0 libgstreamer-plugins-base1.0-0 gstreamer1.0-plugins-base
  gstreamer1.0-libav gstreamer1.0-tools
  libopencv-core406 libopencv-imgproc406
  libx264-164 libx265-199 libjpeg62-turbo zlib1g libbz2-1.0
  tzdata
"
# Packages the plugins below are taken from.
DONORS="gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  libgstreamer-plugins-bad1.0-0 libgstrtspserver-1.0-0"
# good: RTSP client, RTP (de)payloaders and session, UDP, MP4/QuickTime mux+demux,
#   Matroska demux, JPEG decode, G.711 and the AAC parser (meteor-sim's audio tracks);
# bad: H.264/H.265/MPEG-4/AV1 parsers, JPEG parser, x265enc; ugly: x264enc (clips of codecs
# MP4 cannot carry, and the browser renditions of H.265 clips).
PLUGINS="rtsp rtp rtpmanager udp isomp4 matroska jpeg alaw mulaw audioparsers videoparsersbad
  jpegformat x265 x264"
# Shared libraries out of the donors: the parsers' codec helpers, and the RTSP server
# (meteor-sim serve).
LIBS="libgstcodecparsers-1.0.so.0 libgstrtspserver-1.0.so.0"
# Every element the binaries create (camera-worker live and file mode, clips, composites,
# meteor-sim render and serve). avdec_* come from gstreamer1.0-libav.
ELEMENTS="rtspsrc rtph264depay rtph265depay rtpjpegdepay rtpmp4vdepay rtph264pay rtph265pay
  rtpbin udpsrc h264parse h265parse mpeg4videoparse av1parse jpegparse parsebin decodebin
  videoconvert videoscale appsrc appsink queue filesrc filesink fakesink qtdemux
  matroskademux mp4mux x264enc x265enc jpegdec avdec_h264 avdec_h265 typefind
  audiotestsrc audioconvert alawenc mulawenc avenc_aac aacparse rtppcmapay rtppcmupay
  rtpmp4gpay rtpgstpay"

export DEBIAN_FRONTEND=noninteractive
apt-get update -q

# OpenCV's core library links libGL (through libglvnd), which pulls in the Mesa drivers and
# LLVM (about 170 MB). meteor watch never creates a GL context, so the drivers package is
# replaced by an empty stand-in: libGL.so.1 still resolves and dpkg stays consistent.
STUB=$(mktemp -d)
mkdir -p "$STUB/DEBIAN"
printf '%s\n' 'Package: libgl1-mesa-dri' 'Version: 99:0+meteor.stub' 'Architecture: amd64' \
  'Maintainer: meteor watch <meteor-watch@invalid>' \
  'Description: empty stand-in for the Mesa DRI drivers (meteor watch makes no GL context)' \
  >"$STUB/DEBIAN/control"
dpkg-deb --build "$STUB" /tmp/libgl1-mesa-dri-stub.deb >/dev/null
dpkg -i /tmp/libgl1-mesa-dri-stub.deb >/dev/null
apt-mark hold libgl1-mesa-dri >/dev/null
rm -rf "$STUB" /tmp/libgl1-mesa-dri-stub.deb
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $KEEP
# shellcheck disable=SC2086
apt-mark manual $KEEP >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $DONORS

STASH=$(mktemp -d)
for p in $PLUGINS; do cp -a "$PLUGDIR/libgst$p.so" "$STASH/"; done
for l in $LIBS; do cp -a "$LIBDIR/$l"* "$STASH/"; done
# shellcheck disable=SC2086
apt-get purge -y -q $DONORS
apt-get autoremove -y -q --purge
for p in $PLUGINS; do mv "$STASH/libgst$p.so" "$PLUGDIR/"; done
for l in $LIBS; do mv "$STASH/$l"* "$LIBDIR/"; done
rmdir "$STASH"
ldconfig

missing=$(for f in $PLUGDIR/*.so $LIBDIR/libgstcodecparsers-1.0.so.0 $LIBDIR/libgstrtspserver-1.0.so.0; do
  ldd "$f" | sed -n "s|^\s*\(\S*\) => not found|$f: \1|p"
done)
if [ -n "$missing" ]; then
  echo "runtime-setup: libraries missing:" >&2
  echo "$missing" >&2
  exit 1
fi

[ -f /usr/share/zoneinfo/Europe/Berlin ] || { echo "runtime-setup: the tz database is missing" >&2; exit 1; }

# The plugin registry, built once here so that containers start without scanning (and
# readable by any user).
export GST_REGISTRY_1_0=/var/cache/gstreamer-1.0/registry.bin
mkdir -p /var/cache/gstreamer-1.0
for e in $ELEMENTS; do
  gst-inspect-1.0 "$e" >/dev/null 2>&1 || { echo "runtime-setup: GStreamer element $e is missing" >&2; exit 1; }
done
chmod -R a+rX /var/cache/gstreamer-1.0

rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log /tmp/* /var/tmp/*  # this script included

groupadd --gid 1000 meteor
useradd --uid 1000 --gid 1000 --home-dir /home/meteor --create-home --shell /usr/sbin/nologin meteor
mkdir -p /output /masks
chown meteor:meteor /output
