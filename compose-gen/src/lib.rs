//! compose-gen: turns a `streamers` file (one RTSP camera a line) into the docker-compose.yml
//! that runs one camera-worker per camera and the dashboard. Not written yet: it comes with
//! the compose and Docker work, after the live camera-worker and the dashboard.
