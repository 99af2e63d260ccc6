//! The open-file limit: raised at start to the most the system allows this process, and the
//! number of probes that fit in it at once. A probe that found no descriptor would fail for a
//! reason that is not the target's; sizing the concurrency to the limit keeps that from
//! happening, and [`crate::net::NetError::Descriptors`] names it when it happens anyway.

/// Descriptors kept for the process itself: the standard streams, the files it reads, the
/// AWS client's connections, the runtime of the resolver's threads.
const RESERVED: u64 = 32;

/// The most descriptors one probe holds at once: its runtime's event queue and waker, its
/// socket, a name lookup's (the resolver's socket and a file it reads), and one to spare.
pub const PER_PROBE: u64 = 6;

/// Raises the soft open-file limit to the hard limit where the system allows it, and returns
/// the soft limit then in force (None where it cannot be known). Called once, by `main`.
pub fn raise_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes one rlimit into the struct it is given, which lives here.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
            return None;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            // SAFETY: setrlimit reads the struct it is given. Refused (macOS refuses an
            // unlimited soft limit for open files), the limit stays as it was.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                limit = raised;
            }
        }
        if limit.rlim_cur == libc::RLIM_INFINITY {
            return None;
        }
        // rlim_t is u64 here, not on every Unix.
        #[allow(clippy::unnecessary_cast)]
        Some(limit.rlim_cur as u64)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// How many probes may run at once with `limit` open files (None: no known limit): at most
/// `wanted`, at least one.
pub fn concurrency(wanted: usize, limit: Option<u64>) -> usize {
    let Some(limit) = limit else {
        return wanted.max(1);
    };
    let fits = limit.saturating_sub(RESERVED) / PER_PROBE;
    let fits = usize::try_from(fits).unwrap_or(usize::MAX);
    wanted.min(fits).max(1)
}

/// The system's descriptors ran out: this process's (EMFILE) or the whole system's (ENFILE).
pub fn exhausted(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        matches!(error.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_fits_the_limit_and_never_drops_to_zero() {
        assert_eq!(concurrency(256, None), 256);
        assert_eq!(concurrency(256, Some(1024)), (1024 - 32) / 6);
        assert_eq!(concurrency(16, Some(1024)), 16);
        assert_eq!(concurrency(256, Some(64)), 5);
        assert_eq!(concurrency(256, Some(20)), 1);
        assert_eq!(concurrency(256, Some(1 << 20)), 256);
    }

    #[test]
    fn running_out_of_descriptors_is_told_from_other_failures() {
        #[cfg(unix)]
        {
            assert!(exhausted(&std::io::Error::from_raw_os_error(libc::EMFILE)));
            assert!(exhausted(&std::io::Error::from_raw_os_error(libc::ENFILE)));
        }
        assert!(!exhausted(&std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused
        )));
    }
}
