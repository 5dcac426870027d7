//! Where a followed log stream picks up after it ends (a container restart, a dropped
//! connection): the time of the last line printed, and how many lines of that very instant
//! were printed, so that reopening with `sinceTime` prints nothing twice. Times are
//! compared as instants, not as text: RFC 3339 drops trailing zeros of the fraction, so
//! `…00.1Z` sorts after `…00.12Z` as a string. Pure; the I/O is in `mod.rs`.

use k8s_openapi::jiff::Timestamp;

#[derive(Debug, Default)]
pub(crate) struct Resume {
    last: Option<Timestamp>,
    /// Lines printed whose time is exactly `last`.
    at_last: usize,
    /// Lines at `last` the reopened stream will send again, still to be skipped.
    skip: usize,
}

impl Resume {
    /// The `sinceTime` to reopen from (`None` before the first line): the start of the
    /// second of the last line. The API server reads whole seconds, and kube rounds the
    /// time to the nearest one, so passing the exact instant could skip the lines of up to
    /// half a second after it; the lines repeated from earlier in that second are skipped
    /// by [`Resume::admit`].
    pub(crate) fn since(&self) -> Option<Timestamp> {
        self.last
            .map(|t| Timestamp::from_second(t.as_second()).unwrap_or(t))
    }

    /// A stream opens again from [`Resume::since`]: the server repeats the lines of that
    /// instant (and, when it counts whole seconds, earlier ones of the same second).
    pub(crate) fn reopened(&mut self) {
        self.skip = self.at_last;
    }

    /// Whether a line received at `time` (the server's timestamp) is new; a new one is
    /// remembered. A line without a time cannot be placed and is always printed.
    pub(crate) fn admit(&mut self, time: &str) -> bool {
        let Ok(t) = time.parse::<Timestamp>() else {
            return true;
        };
        match self.last {
            Some(last) if t < last => false,
            Some(last) if t == last => {
                if self.skip > 0 {
                    self.skip -= 1;
                    false
                } else {
                    self.at_last += 1;
                    true
                }
            }
            _ => {
                self.last = Some(t);
                self.at_last = 1;
                self.skip = 0;
                true
            }
        }
    }
}

/// Sorts lines of several pods by the instant the kubelet received them; lines without a
/// time come first, and lines of one instant keep their order (the sort is stable).
pub(crate) fn by_time<T>(lines: &mut [T], time: impl Fn(&T) -> &str) {
    lines.sort_by_cached_key(|l| time(l).parse::<Timestamp>().ok());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reopened_stream_prints_nothing_twice() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let mut r = Resume::default();
        assert_eq!(r.since(), None);
        assert!(r.admit("2026-11-28T12:00:00.1Z"));
        assert!(r.admit("2026-11-28T12:00:00.7Z"));
        assert!(
            r.admit("2026-11-28T12:00:00.7Z"),
            "two lines of one instant"
        );
        // Whole seconds, never rounded up past lines not yet printed.
        assert_eq!(r.since(), Some(t("2026-11-28T12:00:00Z")));
        r.reopened();
        // The server repeats that second and then goes on.
        assert!(!r.admit("2026-11-28T12:00:00.1Z"));
        assert!(!r.admit("2026-11-28T12:00:00.7Z"));
        assert!(!r.admit("2026-11-28T12:00:00.7Z"));
        assert!(
            r.admit("2026-11-28T12:00:00.7Z"),
            "a third line of that instant is new"
        );
        assert!(r.admit("2026-11-28T12:00:00.9Z"));
        assert!(r.admit("2026-11-28T12:00:01Z"));
        assert!(r.admit("no time"));
    }

    #[test]
    fn fractions_compare_as_instants_not_text() {
        let mut r = Resume::default();
        assert!(r.admit("2026-11-28T12:00:00.1Z"));
        // As text ".12Z" < ".1Z"; as an instant it is later.
        assert!(r.admit("2026-11-28T12:00:00.12Z"));
        let mut lines = vec![
            ("b", "2026-11-28T12:00:00.1Z"),
            ("a", "2026-11-28T12:00:00.12Z"),
            ("c", "2026-11-28T12:00:00.05Z"),
            ("d", ""),
        ];
        by_time(&mut lines, |l| l.1);
        let order: Vec<&str> = lines.iter().map(|l| l.0).collect();
        assert_eq!(order, ["d", "c", "b", "a"]);
    }
}
