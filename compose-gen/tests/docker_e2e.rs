//! The end-to-end test on the Docker engine, as part of the workspace tests: runs
//! scripts/test-docker.sh (image build, simulated cameras and the generated services under
//! compose, detections, a camera lost and recovered, `down`, 16 cameras) with the
//! compose-gen binary under test. Without a Docker engine or Compose it fails, loudly: it is
//! never skipped.

use std::path::Path;
use std::process::Command;

#[test]
fn docker_end_to_end() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let script = repo.join("scripts/test-docker.sh");
    let status = Command::new("bash")
        .arg(&script)
        .current_dir(repo)
        .env("COMPOSE_GEN", env!("CARGO_BIN_EXE_compose-gen"))
        // The image takes the binaries this test run has built (no extra release build).
        .env(
            "METEOR_BUILD_PROFILE",
            if cfg!(debug_assertions) {
                "debug"
            } else {
                "release"
            },
        )
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        status.success(),
        "\n\n*** THE DOCKER END-TO-END TEST FAILED ({status}) ***\n\
         scripts/test-docker.sh printed why above (a missing Docker engine or Compose tool \
         fails it too: install docker.io and docker-compose).\n\n"
    );
}
