use super::*;
use image::Rgb;
use sky_mask::example::{daytime_photo, Noise};

#[test]
fn a_photo_without_sky_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut noise = Noise(7);
    let ground = RgbImage::from_fn(320, 200, |_, _| {
        let n = noise.next(50);
        Rgb([
            (60 + n).clamp(0, 255) as u8,
            (55 + n).clamp(0, 255) as u8,
            40,
        ])
    });
    let photo = dir.path().join("night.png");
    ground.save(&photo).unwrap();
    let err = ensure_mask(&photo, &dir.path().join("m.png")).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("found no sky in the daytime photo"),
        "{err}"
    );
}

#[test]
fn missing_and_broken_photos_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("m.png");
    let missing = dir.path().join("nope.jpg");
    let err = ensure_mask(&missing, &png).unwrap_err().to_string();
    assert!(err.starts_with(&format!(
        "cannot read the daytime photo {}",
        missing.display()
    )));
    let broken = dir.path().join("broken.jpg");
    std::fs::write(&broken, b"\xff\xd8\xff\xe0 not really a jpeg").unwrap();
    assert!(matches!(
        ensure_mask(&broken, &png),
        Err(MaskError::Photo { .. })
    ));
    assert!(!png.exists());
}

#[test]
fn hand_edited_masks_survive_regeneration() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("day.jpg");
    daytime_photo().save(&photo).unwrap();
    let png = dir.path().join("masks/camera1_h.png");

    // First run writes the mask and its sidecar.
    assert!(matches!(
        ensure_mask(&photo, &png).unwrap(),
        MaskAction::Written { .. }
    ));
    let first = std::fs::read(&png).unwrap();
    let sidecar = std::fs::read_to_string(sidecar_path(&png)).unwrap();
    assert_eq!(sidecar_hash(&sidecar), Some(fnv1a64(&first)));

    // Unchanged: regenerated, to the same bytes.
    assert!(matches!(
        ensure_mask(&photo, &png).unwrap(),
        MaskAction::Written { .. }
    ));
    assert_eq!(std::fs::read(&png).unwrap(), first);

    // Edited by hand: kept, byte for byte, run after run.
    let mut edited = image::open(&png).unwrap().to_luma8();
    for x in 0..100 {
        for y in 0..50 {
            edited.put_pixel(x, y, image::Luma([0]));
        }
    }
    edited.save(&png).unwrap();
    let edited_bytes = std::fs::read(&png).unwrap();
    assert_ne!(edited_bytes, first);
    for _ in 0..2 {
        assert_eq!(ensure_mask(&photo, &png).unwrap(), MaskAction::KeptEdited);
        assert_eq!(std::fs::read(&png).unwrap(), edited_bytes);
    }

    // A mask without a sidecar (drawn by someone) is kept too.
    std::fs::remove_file(sidecar_path(&png)).unwrap();
    assert_eq!(ensure_mask(&photo, &png).unwrap(), MaskAction::KeptForeign);
    assert_eq!(std::fs::read(&png).unwrap(), edited_bytes);

    // Even a kept mask needs its photo to be there.
    std::fs::remove_file(&photo).unwrap();
    assert!(matches!(
        ensure_mask(&photo, &png),
        Err(MaskError::Photo { .. })
    ));
}

#[test]
fn fnv_matches_reference_values() {
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
}
