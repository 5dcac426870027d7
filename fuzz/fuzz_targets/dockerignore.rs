//! Fuzz target: the `.dockerignore` matcher. The input is a pattern file, a NUL byte, then
//! one path per line. Besides never panicking, the matcher must hold three properties:
//!
//! 1. an excluded path is included again once `!<path>` (glob characters escaped) is
//!    appended to the file — the last matching pattern decides;
//! 2. when every pattern is a literal (no `*`, `?`, `[`, `]` or `\`), the answer is the one of a
//!    plain reference of Docker's walk: going down the path, a pattern that matched a
//!    parent directory counts as matching, and a pattern is only compared when it could
//!    change the answer so far (moby's `MatchesUsingParentResults`);
//! 3. pruning is sound: when a parent directory of a path is excluded and the matcher
//!    says nothing below it can be re-included (`must_descend` is false), the path is
//!    excluded too. Docker's prefix test only promises this for literal exceptions, so it
//!    is checked when every `!` pattern is a literal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use msv::image::dockerignore::Matcher;

fuzz_target!(|data: &[u8]| {
    let (patterns, paths) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let text = String::from_utf8_lossy(patterns);
    let paths = String::from_utf8_lossy(paths);
    let Ok(mut matcher) = Matcher::parse(text.as_bytes()) else {
        return;
    };
    let lines = reference_lines(&text);
    let all_literal = lines.iter().all(|(_, p)| is_literal(p));
    let exceptions_literal = lines.iter().all(|(exc, p)| !exc || is_literal(p));
    for path in paths.split('\n').filter(|p| is_clean(p)) {
        let excluded = matcher.excludes(path.as_bytes());
        let _ = matcher.must_descend(path.as_bytes());

        if all_literal {
            assert_eq!(
                excluded,
                reference_excludes(&lines, path),
                "literal patterns {lines:?} on {path:?}"
            );
        }

        if exceptions_literal {
            for (i, _) in path.match_indices('/') {
                let dir = &path[..i];
                if matcher.excludes(dir.as_bytes())
                    && !(matcher.has_exceptions() && matcher.must_descend(dir.as_bytes()))
                {
                    assert!(
                        excluded,
                        "{dir:?} is pruned but {path:?} below it is sent ({lines:?})"
                    );
                }
            }
        }

        if excluded {
            let reincluded = format!("{text}\n!{}\n", escape(path));
            let again =
                Matcher::parse(reincluded.as_bytes()).expect("an escaped path is a valid pattern");
            assert!(
                !again.excludes(path.as_bytes()),
                "{path:?} still excluded after appending its own exception"
            );
        }
    }
    // What the build does to the matcher: the build files are kept whatever the patterns say.
    for path in paths.split('\n').filter(|p| is_clean(p)).take(4) {
        matcher.keep(path.as_bytes());
        assert!(
            !matcher.excludes(path.as_bytes()),
            "{path:?} excluded after keep()"
        );
    }
});

/// A path as the context walk produces it: relative, `/`-separated, no empty, `.` or `..`
/// element, and nothing the line reader would trim or split.
fn is_clean(path: &str) -> bool {
    !path.is_empty()
        && path == path.trim()
        && !path.contains(['\n', '\r'])
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

fn escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for ch in path.chars() {
        // `^` too: in a pattern that has an escape it would be a regexp anchor.
        if matches!(ch, '*' | '?' | '[' | ']' | '\\' | '^') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

/// No wildcard, class or escape: moby's patternmatcher compares such a pattern as a
/// plain string.
fn is_literal(pattern: &str) -> bool {
    !pattern.contains(['*', '?', '[', ']', '\\'])
}

/// The pattern lines as the docker CLI reads them: split at `\n` (one `\r` dropped), a
/// BOM dropped from the first line, comments (`#` as the first byte) dropped, trimmed,
/// blanks dropped, `!` split off, the path cleaned and one
/// leading `/` dropped. Written independently of the matcher's own reading.
fn reference_lines(text: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    let body = text.strip_suffix('\n').unwrap_or(text);
    let lines = body.split('\n').filter(|_| !text.is_empty());
    for (i, raw) in lines.enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let raw = if i == 0 {
            raw.strip_prefix('\u{feff}').unwrap_or(raw)
        } else {
            raw
        };
        // A comment only when `#` is the line's first byte.
        if raw.starts_with('#') {
            continue;
        }
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let (exception, rest) = match line.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, line),
        };
        let mut cleaned = go_clean(rest);
        if cleaned.len() > 1 && cleaned.starts_with('/') {
            cleaned.remove(0);
        }
        out.push((exception, cleaned));
    }
    out
}

fn go_clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut stack: Vec<&str> = Vec::new();
    for part in path.split('/') {
        if part.is_empty() || part == "." {
            continue;
        }
        if part == ".." {
            if stack.last().is_some_and(|l| *l != "..") {
                stack.pop();
            } else if !rooted {
                stack.push("..");
            }
            continue;
        }
        stack.push(part);
    }
    let body = stack.join("/");
    if rooted {
        format!("/{body}")
    } else if body.is_empty() {
        ".".to_string()
    } else {
        body
    }
}

fn reference_excludes(lines: &[(bool, String)], path: &str) -> bool {
    // Each directory on the way down, then the path: which patterns matched it.
    let mut parent: Option<Vec<bool>> = None;
    let mut excluded = false;
    let ends: Vec<usize> = path
        .match_indices('/')
        .map(|(i, _)| i)
        .chain([path.len()])
        .collect();
    for end in ends {
        let prefix = &path[..end];
        excluded = false;
        let mut hits = Vec::new();
        for (i, (exception, pattern)) in lines.iter().enumerate() {
            let carried = parent.as_ref().is_some_and(|p| p[i]);
            let hit = carried || (*exception == excluded && prefix == pattern.as_str());
            hits.push(hit);
            if hit {
                excluded = !*exception;
            }
        }
        parent = Some(hits);
    }
    excluded
}
