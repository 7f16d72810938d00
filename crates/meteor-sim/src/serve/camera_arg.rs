//! The command-line form of a simulated camera, `NAME=PROFILE[:OPTION]...`
//! ([`CameraConfig::from_arg`]), and of its credentials, `NAME=USER:PASSWORD`
//! ([`parse_auth_arg`]).

use super::{Audio, CameraConfig, Codec};
use crate::spec::{Profile, RenderSpec};

/// Help text for `--camera`.
pub const CAMERA_ARG_HELP: &str = "NAME=PROFILE[:OPTION]... served at /NAME; PROFILE is mixed, \
quiet, shower or hard; OPTIONs: seed=N (default 1), WxH or WxH@FPS (default 1280x720@30), \
h264 or h265 (default h264), audio or audio=pcma|pcmu|aac (a silent audio track; plain \
`audio` is PCMA), loop=SECONDS (default 60), gop=SECONDS between keyframes (default 1), \
switch=WxH[@FPS] or switch=@FPS followed by after=SECONDS (default 30 after the previous \
switch or the start): a day/night profile switch, from then on the same scene at another \
size and/or frame rate on the same connection (repeatable; switch back with the original \
size). Example: cam1=mixed:seed=2:1920x1080@30:h265:audio=aac:switch=1280x720@15:after=30";

/// An optional `WxH` and an optional frame rate.
type SizeRate = (Option<(u32, u32)>, Option<f64>);

/// Default seconds between the start (or the previous switch) and a switch.
const SWITCH_AFTER_S: f64 = 30.0;

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
        let (mut codec, mut audio, mut gop) = (Codec::H264, Audio::None, 1.0);
        // (size, rate, after) of each switch, resolved once the main size is known
        let mut switches: Vec<(SizeRate, Option<f64>)> = Vec::new();
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
                Some(("audio", v)) => audio = v.parse().map_err(|e| format!("`{arg}`: {e}"))?,
                Some(("switch", v)) => {
                    let (size, rate) = size_rate(arg, v, &num)?;
                    if size.is_none() && rate.is_none() {
                        return Err(format!("`{arg}`: bad switch `{v}` (WxH, WxH@FPS or @FPS)"));
                    }
                    switches.push(((size, rate), None));
                }
                Some(("after", v)) => {
                    let after = num(v, "switch time")?;
                    match switches.last_mut() {
                        Some((_, a @ None)) => *a = Some(after),
                        _ => return Err(format!("`{arg}`: after={v} without a switch before it")),
                    }
                }
                Some(_) => return Err(format!("`{arg}`: unknown option `{opt}`")),
                None if opt == "audio" => audio = Audio::Pcma,
                None if opt.parse::<Codec>().is_ok() => codec = opt.parse()?,
                None => {
                    let (size, rate) = size_rate(arg, opt, &num)?;
                    let Some((ws, hs)) = size else {
                        return Err(format!("`{arg}`: unknown option `{opt}`"));
                    };
                    (w, h) = (ws, hs);
                    if let Some(r) = rate {
                        fps = r;
                    }
                }
            }
        }
        let spec = RenderSpec::from_profile(profile, seed, w, h, fps, loop_s);
        spec.validate().map_err(|e| format!("`{arg}`: {e}"))?;
        let mut cam = CameraConfig::new(format!("/{name}"), spec)
            .with_codec(codec)
            .with_audio(audio)
            .with_keyframe_interval(gop);
        let mut at = 0.0;
        for ((size, rate), after) in switches {
            let (sw, sh) = size.unwrap_or((w, h));
            let spec = RenderSpec::from_profile(profile, seed, sw, sh, rate.unwrap_or(fps), loop_s);
            spec.validate()
                .map_err(|e| format!("`{arg}`: switch: {e}"))?;
            let next = after.unwrap_or(at + SWITCH_AFTER_S);
            if next <= at {
                return Err(format!("`{arg}`: switch times must increase ({next} s)"));
            }
            at = next;
            cam = cam.with_switch(at, spec);
        }
        Ok(cam)
    }
}

/// `WxH`, `WxH@FPS` or `@FPS`; (None, None) when `opt` is none of them.
fn size_rate(
    arg: &str,
    opt: &str,
    num: &dyn Fn(&str, &str) -> Result<f64, String>,
) -> Result<SizeRate, String> {
    let (size, rate) = match opt.split_once('@') {
        Some((s, r)) => (s, Some(num(r, "frame rate")?)),
        None => (opt, None),
    };
    if size.is_empty() {
        return Ok((None, rate));
    }
    let Some((ws, hs)) = size.split_once('x') else {
        return Ok((None, None));
    };
    let w = ws
        .parse()
        .map_err(|_| format!("`{arg}`: bad width `{ws}`"))?;
    let h = hs
        .parse()
        .map_err(|_| format!("`{arg}`: bad height `{hs}`"))?;
    Ok((Some((w, h)), rate))
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
        assert_eq!(c.audio, Audio::None);
        assert!(c.switches.is_empty());
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
        assert_eq!(c.audio, Audio::Pcma);
        assert_eq!(
            (c.spec.width, c.spec.height, c.spec.fps),
            (1920, 1080, 25.0)
        );
        assert_eq!((c.spec.seed, c.spec.duration_s), (7, 30.0));
        assert_eq!(c.keyframe_interval_s, 2.0);
        let c = CameraConfig::from_arg("c=hard:640x360").unwrap();
        assert_eq!((c.spec.width, c.spec.height, c.spec.fps), (640, 360, 30.0));
        for (opt, audio) in [
            ("pcma", Audio::Pcma),
            ("pcmu", Audio::Pcmu),
            ("aac", Audio::Aac),
        ] {
            let c = CameraConfig::from_arg(&format!("c=quiet:audio={opt}")).unwrap();
            assert_eq!(c.audio, audio);
        }
    }

    #[test]
    fn switches_keep_the_scene_and_default_to_30_s_apart() {
        let c = CameraConfig::from_arg(
            "c=shower:seed=3:640x360@25:loop=20:switch=480x270@15:after=12:switch=@25:switch=640x360",
        )
        .unwrap();
        let got: Vec<(f64, u32, u32, f64)> = c
            .switches
            .iter()
            .map(|s| (s.after_s, s.spec.width, s.spec.height, s.spec.fps))
            .collect();
        assert_eq!(
            got,
            [
                (12.0, 480, 270, 15.0),
                (42.0, 640, 360, 25.0),
                (72.0, 640, 360, 25.0)
            ]
        );
        for s in &c.switches {
            assert_eq!((s.spec.seed, s.spec.duration_s), (3, 20.0));
            assert_eq!(s.spec.profile, Some(Profile::Shower));
        }
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
            ("c=mixed:audio=opus", "unknown audio `opus`"),
            ("c=mixed:after=3", "without a switch"),
            ("c=mixed:switch=fast", "bad switch"),
            ("c=mixed:switch=641x360", "must be even"),
            (
                "c=mixed:switch=@15:after=9:switch=@30:after=5",
                "must increase",
            ),
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
