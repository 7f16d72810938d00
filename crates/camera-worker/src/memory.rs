//! The process's malloc settings, and giving free memory back.
//!
//! glibc gives each thread that allocates its own arena (up to eight per core) and keeps
//! freed memory in each, and a worker has a dozen GStreamer, tokio and writer threads. Two
//! arenas serve its few allocations per frame without contention; with them a 1080p
//! worker's malloc held 43.7 MiB for 41.2 in use (`malloc_stats`, scripts/bench/live's
//! stream).
//!
//! glibc also raises its mmap threshold each time a large block is freed, so after a while
//! the stream's keyframes (100 KiB and more) and the decoder's buffers are carved out of the
//! heap, where the holes they leave are kept. A fixed 128 KiB threshold maps them and
//! returns them whole when freed: a 1080p worker's RSS went from 107 to 104 MiB (steady
//! state over four minutes, side by side on the same stream).

/// Arenas a worker uses unless MALLOC_ARENA_MAX says otherwise.
pub const DEFAULT_ARENAS: i32 = 2;
/// Blocks of this size and larger are mapped on their own unless MALLOC_MMAP_THRESHOLD_
/// says otherwise.
pub const DEFAULT_MMAP_THRESHOLD: i32 = 128 * 1024;

/// One malloc parameter the worker sets: glibc's own environment variable for it, which
/// wins when the user set it, and the worker's value.
struct Setting {
    env: &'static str,
    value: i32,
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    param: libc::c_int,
}

fn settings() -> [Setting; 2] {
    [
        Setting {
            env: "MALLOC_ARENA_MAX",
            value: DEFAULT_ARENAS,
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            param: libc::M_ARENA_MAX,
        },
        Setting {
            env: "MALLOC_MMAP_THRESHOLD_",
            value: DEFAULT_MMAP_THRESHOLD,
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            param: libc::M_MMAP_THRESHOLD,
        },
    ]
}

/// Whether to set a parameter: not when the user set its variable (glibc reads it itself).
pub fn user_unset(env: Option<&str>) -> bool {
    env.is_none_or(|v| v.trim().is_empty())
}

/// Applies the worker's malloc settings; call first thing in `main`, before any thread
/// starts.
pub fn configure_malloc() {
    for s in settings() {
        if user_unset(std::env::var(s.env).ok().as_deref()) {
            set(&s);
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set(s: &Setting) -> bool {
    // SAFETY: mallopt only changes allocator parameters; it is safe at any time.
    unsafe { libc::mallopt(s.param, s.value) == 1 }
}

/// Other C libraries (musl) have neither per-thread arenas nor glibc's sliding threshold.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set(_s: &Setting) -> bool {
    false
}

/// Gives malloc's free memory back to the system (`malloc_trim`): the space freed inside the
/// arenas as well as at their tops. Worth it after a burst of short-lived allocations, which
/// malloc would otherwise keep for the next one.
pub fn release_free() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory; it touches no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_setting_wins() {
        assert!(user_unset(None));
        assert!(user_unset(Some("")));
        assert!(!user_unset(Some("8")));
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn glibc_takes_the_settings() {
        for s in settings() {
            assert!(set(&s), "{}", s.env);
        }
    }
}
