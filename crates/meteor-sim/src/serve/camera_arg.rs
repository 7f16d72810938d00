//! The command-line form of a simulated camera, `NAME=PROFILE[:OPTION]...`
//! ([`CameraConfig::from_arg`]), and of its credentials, `NAME=USER:PASSWORD`
//! ([`parse_auth_arg`]).

use super::{CameraConfig, Codec};
use crate::spec::{Profile, RenderSpec};

/// Help text for `--camera`.
pub const CAMERA_ARG_HELP: &str = "NAME=PROFILE[:OPTION]... served at /NAME; PROFILE is mixed, \
quiet, shower or hard; OPTIONs: seed=N (default 1), WxH or WxH@FPS (default 1280x720@30), \
h264 or h265 (default h264), audio (a silent PCMA track), loop=SECONDS (default 60), \
gop=SECONDS between keyframes (default 1). Example: cam1=mixed:seed=2:1920x1080@30:h265:audio";

impl CameraConfig {
    /// Parses `NAME=PROFILE[:OPTION]...` (see [`CAMERA_ARG_HELP`]).
    pub fn from_arg(arg: &str) -> Result<CameraConfig, String> {
        let (name, rest) = arg
            .split_once('=')
            .ok_or_else(|| format!("`{arg}`: expected NAME=PROFILE[:OPTION]..."))?;
        let name = name.trim_start_matches('/');
        if name.is_empty() {
            return Err(format!("`{arg}`: empty camera name"));
        }
        let mut parts = rest.split(':');
        let profile: Profile = parts.next().unwrap_or_default().parse()?;
        let (mut seed, mut w, mut h, mut fps, mut loop_s) = (1u64, 1280u32, 720u32, 30.0, 60.0);
        let (mut codec, mut audio, mut gop) = (Codec::H264, false, 1.0);
        let num = |v: &str, what: &str| -> Result<f64, String> {
            v.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x > 0.0)
                .ok_or_else(|| format!("`{arg}`: bad {what} `{v}`"))
        };
        for opt in parts {
            match opt.split_once('=') {
                Some(("seed", v)) => {
                    seed = v.parse().map_err(|_| format!("`{arg}`: bad seed `{v}`"))?
                }
                Some(("loop", v)) => loop_s = num(v, "loop length")?,
                Some(("gop", v)) => gop = num(v, "keyframe interval")?,
                Some(_) => return Err(format!("`{arg}`: unknown option `{opt}`")),
                None if opt == "audio" => audio = true,
                None if opt.parse::<Codec>().is_ok() => codec = opt.parse()?,
                None => {
                    let (size, rate) = match opt.split_once('@') {
                        Some((s, r)) => (s, Some(r)),
                        None => (opt, None),
                    };
                    let (ws, hs) = size
                        .split_once('x')
                        .ok_or_else(|| format!("`{arg}`: unknown option `{opt}`"))?;
                    w = ws
                        .parse()
                        .map_err(|_| format!("`{arg}`: bad width `{ws}`"))?;
                    h = hs
                        .parse()
                        .map_err(|_| format!("`{arg}`: bad height `{hs}`"))?;
                    if let Some(r) = rate {
                        fps = num(r, "frame rate")?;
                    }
                }
            }
        }
        let spec = RenderSpec::from_profile(profile, seed, w, h, fps, loop_s);
        spec.validate().map_err(|e| format!("`{arg}`: {e}"))?;
        Ok(CameraConfig::new(format!("/{name}"), spec)
            .with_codec(codec)
            .with_audio(audio)
            .with_keyframe_interval(gop))
    }
}

/// Parses `NAME=USER:PASSWORD` into (`/NAME`, (user, password)); the password is everything
/// after the first `:` and may hold any character.
pub fn parse_auth_arg(arg: &str) -> Result<(String, (String, String)), String> {
    let bad = || format!("`{arg}`: expected NAME=USER:PASSWORD");
    let (name, cred) = arg.split_once('=').ok_or_else(bad)?;
    let (user, pass) = cred.split_once(':').ok_or_else(bad)?;
    let name = name.trim_start_matches('/');
    if name.is_empty() || user.is_empty() {
        return Err(bad());
    }
    Ok((format!("/{name}"), (user.to_string(), pass.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let c = CameraConfig::from_arg("cam1=mixed").unwrap();
        assert_eq!(c.mount, "/cam1");
        assert_eq!(c.codec, Codec::H264);
        assert!(!c.audio);
        assert_eq!((c.spec.width, c.spec.height, c.spec.fps), (1280, 720, 30.0));
        assert_eq!((c.spec.seed, c.spec.duration_s), (1, 60.0));
        assert_eq!(c.spec.profile, Some(Profile::Mixed));
        assert_eq!(c.keyframe_interval_s, 1.0);
    }

    #[test]
    fn every_option() {
        let c =
            CameraConfig::from_arg("/north=shower:seed=7:1920x1080@25:h265:audio:loop=30:gop=2")
                .unwrap();
        assert_eq!(c.mount, "/north");
        assert_eq!(c.codec, Codec::H265);
        assert!(c.audio);
        assert_eq!(
            (c.spec.width, c.spec.height, c.spec.fps),
            (1920, 1080, 25.0)
        );
        assert_eq!((c.spec.seed, c.spec.duration_s), (7, 30.0));
        assert_eq!(c.keyframe_interval_s, 2.0);
        let c = CameraConfig::from_arg("c=hard:640x360").unwrap();
        assert_eq!((c.spec.width, c.spec.height, c.spec.fps), (640, 360, 30.0));
    }

    #[test]
    fn errors_name_the_culprit() {
        for (arg, needle) in [
            ("cam1", "NAME=PROFILE"),
            ("=mixed", "empty camera name"),
            ("c=cloudy", "unknown profile"),
            ("c=mixed:vp9", "unknown option `vp9`"),
            ("c=mixed:speed=3", "unknown option `speed=3`"),
            ("c=mixed:seed=x", "bad seed"),
            ("c=mixed:641x360", "must be even"),
            ("c=mixed:loop=0", "bad loop length"),
            ("c=mixed:640x360@x", "bad frame rate"),
        ] {
            let e = CameraConfig::from_arg(arg).unwrap_err();
            assert!(e.contains(needle), "{arg}: {e}");
        }
    }

    #[test]
    fn auth_keeps_special_characters() {
        let (m, (u, p)) = parse_auth_arg("cam1=admin:p@ss:w#rd%1").unwrap();
        assert_eq!(
            (m.as_str(), u.as_str(), p.as_str()),
            ("/cam1", "admin", "p@ss:w#rd%1")
        );
        assert!(parse_auth_arg("cam1=admin").is_err());
        assert!(parse_auth_arg("cam1=:pw").is_err());
    }
}
