//! Making strings from a cluster, a log or a trace safe to print on a terminal.
//!
//! Pod names, event messages, log lines and span attributes are written by other programs;
//! an escape sequence in one of them must not move the cursor, retitle the window or
//! recolor the screen. Control characters are shown as visible escapes instead.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Replaces control characters (C0, DEL, C1) with visible escapes. Tabs stay; newlines are
/// escaped too, since one value must stay on one line of a table.
pub fn sanitize(s: &str) -> Cow<'_, str> {
    sanitize_with(s, false)
}

/// Like [`sanitize`], but keeps newlines (for multi-line text such as a log line's stack trace).
pub fn sanitize_multiline(s: &str) -> Cow<'_, str> {
    sanitize_with(s, true)
}

fn sanitize_with(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && c != '\t' && !(keep_newlines && c == '\n');
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            c if !unsafe_char(c) => out.push(c),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(
            sanitize("orders-blue-7d9 \t ünïcode"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn escapes_are_made_visible() {
        assert_eq!(sanitize("a\x1b]0;pwned\x07b"), "a\\e]0;pwned\\u{7}b");
        assert_eq!(sanitize("line1\nline2\r"), "line1\\nline2\\r");
        assert_eq!(sanitize("c1\u{9b}31m"), "c1\\u{9b}31m");
        assert_eq!(sanitize_multiline("a\nb\x1b[2J"), "a\nb\\e[2J");
    }
}
