//! The process's malloc settings. glibc gives each thread that allocates its own arena (up
//! to eight per core) and keeps freed memory in each, and a worker has a dozen GStreamer,
//! tokio and writer threads. Two arenas serve its few allocations per frame without
//! contention; with them a 1080p worker's malloc held 43.7 MiB for 41.2 in use
//! (`malloc_stats`, scripts/bench/live's stream).

/// Arenas a worker uses unless MALLOC_ARENA_MAX says otherwise.
pub const DEFAULT_ARENAS: i32 = 2;

/// The arena limit to set: none when the user set MALLOC_ARENA_MAX (glibc reads it itself).
pub fn arena_limit(env: Option<&str>) -> Option<i32> {
    match env {
        Some(v) if !v.trim().is_empty() => None,
        _ => Some(DEFAULT_ARENAS),
    }
}

/// Applies [`arena_limit`]; call first thing in `main`, before any thread starts. Returns
/// the limit set, if any.
pub fn limit_malloc_arenas() -> Option<i32> {
    let limit = arena_limit(std::env::var("MALLOC_ARENA_MAX").ok().as_deref())?;
    set_arena_max(limit).then_some(limit)
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_arena_max(n: i32) -> bool {
    // SAFETY: mallopt only changes allocator parameters; it is safe at any time.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, n) == 1 }
}

/// Other C libraries (musl) have no per-thread arenas to limit.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_arena_max(_n: i32) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_setting_wins() {
        assert_eq!(arena_limit(None), Some(DEFAULT_ARENAS));
        assert_eq!(arena_limit(Some("")), Some(DEFAULT_ARENAS));
        assert_eq!(arena_limit(Some("8")), None);
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn glibc_takes_the_limit() {
        assert!(set_arena_max(DEFAULT_ARENAS));
    }
}
