//! Tests of the loop cache: render, write atomically, read back identically, re-render a
//! damaged file.

use super::*;

fn tiny(seed: u64) -> RenderSpec {
    RenderSpec::custom(seed, 64, 48, 10.0, 2.0)
}

fn bytes(l: &EncodedLoop) -> Vec<Vec<u8>> {
    l.frames
        .iter()
        .map(|b| b.map_readable().unwrap().to_vec())
        .collect()
}

#[test]
fn renders_once_then_reads_the_same_loop_back() {
    let dir = tempfile::tempdir().unwrap();
    for codec in [Codec::H264, Codec::H265] {
        let first = load_or_render(&tiny(1), codec, 0.5, dir.path()).unwrap();
        assert_eq!(first.len(), 20);
        assert_eq!(first.keyframes, [0, 5, 10, 15]);
        assert_eq!(first.max_gop(), 5);
        assert_eq!(first.keyframe_at_or_before(7), 5);
        assert_eq!(first.keyframe_after(15), None);
        let caps = first.caps.structure(0).unwrap();
        assert_eq!(caps.name(), codec.media_type());
        assert_eq!(caps.get::<i32>("width").unwrap(), 64);
        assert_eq!(caps.get::<String>("stream-format").unwrap(), "byte-stream");
        // in memory: the same loop
        let again = load_or_render(&tiny(1), codec, 0.5, dir.path()).unwrap();
        assert!(Arc::ptr_eq(&first, &again));
        let want = bytes(&first);
        let truth = first.truth.clone();
        drop((first, again));
        // from disk: identical
        let path = cache_path(dir.path(), &tiny(1), codec, 0.5);
        let read_back = read(&path).unwrap();
        assert_eq!(bytes(&read_back), want);
        assert_eq!(read_back.truth, truth);
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().all(|n| n.ends_with(".au")), "{names:?}");
}

#[test]
fn the_key_changes_with_the_content_and_a_damaged_file_is_rendered_again() {
    let dir = tempfile::tempdir().unwrap();
    let p = |s: &RenderSpec, c, k| cache_path(dir.path(), s, c, k);
    assert_ne!(p(&tiny(1), Codec::H264, 1.0), p(&tiny(2), Codec::H264, 1.0));
    assert_ne!(p(&tiny(1), Codec::H264, 1.0), p(&tiny(1), Codec::H265, 1.0));
    assert_ne!(p(&tiny(1), Codec::H264, 1.0), p(&tiny(1), Codec::H264, 2.0));
    assert_eq!(p(&tiny(1), Codec::H264, 1.0), p(&tiny(1), Codec::H264, 1.0));

    let spec = tiny(3);
    let path = p(&spec, Codec::H264, 1.0);
    let first = load_or_render(&spec, Codec::H264, 1.0, dir.path()).unwrap();
    let want = bytes(&first);
    drop(first);
    let len = std::fs::metadata(&path).unwrap().len();
    let data = std::fs::read(&path).unwrap();
    std::fs::write(&path, &data[..data.len() / 2]).unwrap();
    assert!(read(&path).is_err());
    let again = load_or_render(&spec, Codec::H264, 1.0, dir.path()).unwrap();
    assert_eq!(bytes(&again), want, "rendering is deterministic");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
}

#[test]
fn a_noisy_sky_renders_to_the_same_bytes_every_time() {
    // Small loops always did; a noisy 720p sky split into slices did not (see `render`).
    gst::init().unwrap();
    let spec = RenderSpec::from_profile(crate::Profile::Hard, 7, 1280, 720, 30.0, 1.0);
    for codec in [Codec::H264, Codec::H265] {
        let once = |_| render(&spec, codec, 0.5).unwrap().1;
        let renders: Vec<Units> = (0..3).map(once).collect();
        assert!(
            renders.iter().all(|r| *r == renders[0]),
            "{} renders differ",
            codec.name()
        );
    }
}
