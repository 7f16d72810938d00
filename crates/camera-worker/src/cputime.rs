//! CPU time of the calling thread: how file mode tells the detector's own work from the
//! decoding around it (`camera-worker detect` prints it; `scripts/bench/throughput` compares
//! it with a decode-only pipeline).

/// Nanoseconds of CPU the calling thread has used (0 where the clock is unavailable).
pub fn thread_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes into it.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_this_threads_work_only() {
        let t0 = super::thread_ns();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        let busy = super::thread_ns() - t0;
        assert!(busy > 1_000_000, "20 M multiply-adds took {busy} ns of CPU");
        let t1 = super::thread_ns();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let idle = super::thread_ns() - t1;
        assert!(idle < 10_000_000, "sleeping 50 ms used {idle} ns of CPU");
    }
}
