//! `.dockerignore` with Docker's rules, on bytes.
//!
//! Written by hand because no maintained crate applies Docker's rules: gitignore crates
//! (`ignore`, `globset`) differ on the points that matter here — a Docker pattern is
//! anchored at the context root (`foo` does not match `a/foo`), `**` and classes follow
//! moby's translation to a Go regexp, and what a pattern matched on a directory is carried
//! to everything below it.
//!
//! Reading the file, as the docker CLI reads it:
//! - lines end at `\n` (a `\r` before it is dropped); a line of 64 KiB or more is refused,
//!   as Go's line scanner refuses it; a UTF-8 BOM is dropped from the first line;
//! - a line is a comment only when `#` is its first byte (`  # x` is the pattern `# x`);
//! - each line is trimmed (Unicode white space); blank lines are skipped;
//! - `!` makes an exception (re-include); a bare `!` is an error;
//! - a pattern is cleaned like Go's `filepath.Clean` (`./a//b/` is `a/b`, `a/../b` is `b`)
//!   and one leading `/` is dropped, so `/foo` and `foo` are the same;
//! - the glob is the one of `glob.rs`; a pattern Go's regexp would refuse (`\q`) is refused
//!   here, with its line, before anything is sent.
//!
//! Deciding, as the docker CLI's tar walk does (moby's `MatchesUsingParentResults`): the
//! patterns are tried in order on the path itself; a pattern is only tried when it could
//! change the answer so far; a pattern that matched a parent directory counts as matching
//! without being tried. So `**/*.md` then `!docs` keeps `docs/a.md` out (the exception never
//! matched `docs/a.md` itself), and `node_modules`, `!node_modules/keep`, `**/node_modules`
//! sends `node_modules/keep/index.js` (the last pattern was not tried on `node_modules`,
//! whose answer was already "excluded", so nothing carries it down).
//!
//! This module decides; `context.rs` walks the tree and skips directories.

use std::fmt;

use super::glob::{Glob, clean, compile};

/// Where a pattern comes from: a line of the file, or a rule msv adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// 1-based line of `.dockerignore`.
    Line(usize),
    /// msv's own state directory, excluded before every pattern of the file.
    StateDir,
    /// The Dockerfile or `.dockerignore`, re-included after every pattern (as the docker
    /// CLI does) because the engine needs them.
    BuildFile,
}

/// One cleaned pattern.
#[derive(Debug, Clone)]
struct Pattern {
    /// The cleaned pattern, without the leading `!`.
    text: Vec<u8>,
    exception: bool,
    origin: Origin,
    glob: Glob,
}

/// The patterns of one `.dockerignore` file, in file order, with what msv adds.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    patterns: Vec<Pattern>,
}

/// What the patterns say about one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verdict {
    pub excluded: bool,
    /// The last pattern that matched (on the path or carried from a parent directory).
    pub by: Option<usize>,
}

/// A line Docker would refuse, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub line: usize,
    pub pattern: String,
    pub reason: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            ".dockerignore line {}: invalid pattern {:?}: {}; fix or remove the line",
            self.line, self.pattern, self.reason
        )
    }
}

impl std::error::Error for PatternError {}

/// Go's `bufio.Scanner` refuses a line that fills its 64 KiB buffer.
pub const MAX_LINE: usize = 64 * 1024;

impl Matcher {
    /// Parses the bytes of a `.dockerignore` file.
    pub fn parse(bytes: &[u8]) -> Result<Self, PatternError> {
        let mut patterns = Vec::new();
        for (index, line) in lines(bytes).enumerate() {
            let number = index + 1;
            let shown = |b: &[u8]| {
                let text = String::from_utf8_lossy(b);
                text.chars().take(80).collect::<String>()
            };
            if line.len() >= MAX_LINE {
                return Err(PatternError {
                    line: number,
                    pattern: format!("{}...", shown(line)),
                    reason: format!(
                        "the line is {} bytes long; Docker refuses lines of 64 KiB or more",
                        line.len()
                    ),
                });
            }
            let line = if index == 0 {
                line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line)
            } else {
                line
            };
            let Some(read) = read_line(line) else {
                continue;
            };
            let error = |reason: &str| PatternError {
                line: number,
                pattern: shown(trim(line)),
                reason: reason.to_string(),
            };
            // moby trims and cleans the line once more, `!` included, before compiling it.
            let cleaned = clean(trim(&read));
            let (exception, text) = match cleaned.strip_prefix(b"!") {
                Some(b"") => return Err(error("a lone \"!\" excludes nothing")),
                Some(rest) => (true, rest.to_vec()),
                None => (false, cleaned),
            };
            let glob = compile(&text).map_err(|reason| error(&reason))?;
            patterns.push(Pattern {
                text,
                exception,
                origin: Origin::Line(number),
                glob,
            });
        }
        Ok(Self { patterns })
    }

    /// Puts an exclusion of the path `pattern` before every pattern of the file, so the
    /// file can still re-include what it names with `!`.
    pub fn exclude_first(&mut self, path: &str) {
        let text = clean(path.as_bytes());
        self.patterns.insert(
            0,
            Pattern {
                glob: Glob::Exact(text.clone()),
                text,
                exception: false,
                origin: Origin::StateDir,
            },
        );
    }

    /// Adds an exception so that `path` is sent even when a pattern excludes it
    /// (the Dockerfile and `.dockerignore`, as the docker CLI does).
    pub fn keep(&mut self, path: &[u8]) {
        if self.excludes(path) {
            let text = clean(path);
            self.patterns.push(Pattern {
                glob: Glob::Exact(text.clone()),
                text,
                exception: true,
                origin: Origin::BuildFile,
            });
        }
    }

    /// Whether any pattern is an exception (`!...`).
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exception)
    }

    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Pattern `index`: its cleaned text (with `!` for an exception) and where it comes from.
    pub fn describe(&self, index: usize) -> (String, Origin) {
        let p = &self.patterns[index];
        let bang = if p.exception { "!" } else { "" };
        (
            format!("{bang}{}", String::from_utf8_lossy(&p.text)),
            p.origin,
        )
    }

    /// The verdict on `path` (relative to the context root, `/`-separated), given what the
    /// patterns matched on its parent directory (`None` at the root). When `carry` is given,
    /// it receives what to pass to the entries below `path` if it is a directory.
    pub fn decide(
        &self,
        path: &[u8],
        parent: Option<&[bool]>,
        carry: Option<&mut Vec<bool>>,
    ) -> Verdict {
        let mut verdict = Verdict::default();
        let mut carry = carry;
        if let Some(c) = carry.as_deref_mut() {
            c.clear();
        }
        for (i, pattern) in self.patterns.iter().enumerate() {
            let mut hit = parent.is_some_and(|p| p[i]);
            // Only a pattern that could change the answer is tried (and only then does
            // what it matched carry down).
            if !hit && pattern.exception == verdict.excluded {
                hit = pattern.glob.is_match(path);
            }
            if let Some(c) = carry.as_deref_mut() {
                c.push(hit);
            }
            if hit {
                verdict.excluded = !pattern.exception;
                verdict.by = Some(i);
            }
        }
        verdict
    }

    /// Whether `path` is excluded, deciding its parent directories first as the walk does
    /// (ignoring whether the walk would have entered them; see [`Matcher::must_descend`]).
    pub fn excludes(&self, path: &[u8]) -> bool {
        self.verdicts(path)
            .last()
            .is_some_and(|(_, verdict)| verdict.excluded)
    }

    /// The verdicts on each directory above `path` and on `path` itself, root first.
    pub fn verdicts<'p>(&self, path: &'p [u8]) -> Vec<(&'p [u8], Verdict)> {
        let mut out = Vec::new();
        let mut parent: Option<Vec<bool>> = None;
        let mut carry = Vec::with_capacity(self.patterns.len());
        let ends = path
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'/')
            .map(|(i, _)| i)
            .chain([path.len()]);
        for end in ends {
            let prefix = &path[..end];
            let verdict = self.decide(prefix, parent.as_deref(), Some(&mut carry));
            out.push((prefix, verdict));
            parent = Some(std::mem::take(&mut carry));
        }
        out
    }

    /// Whether a directory that is itself excluded must still be walked, because an
    /// exception names something below it (moby's prefix test on the pattern text:
    /// `<pattern>/` starts with `<dir>/`).
    pub fn must_descend(&self, dir: &[u8]) -> bool {
        self.patterns.iter().filter(|p| p.exception).any(|p| {
            p.text
                .strip_prefix(dir)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(b"/"))
        })
    }

    /// Whether pattern `index` matches `path` itself (explanations look for the directory
    /// where a carried result started).
    pub fn pattern_matches(&self, index: usize, path: &[u8]) -> bool {
        self.patterns[index].glob.is_match(path)
    }
}

/// The lines of a file as Go's `bufio.ScanLines` yields them: split at `\n`, one `\r`
/// dropped from the end, no empty line after a final `\n`.
pub fn lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let empty = bytes.is_empty();
    body.split(|&b| b == b'\n')
        .filter(move |_| !empty)
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// The docker CLI's reading of one line: `None` for a comment or a blank; else the pattern,
/// trimmed, `!` kept, cleaned, one leading `/` dropped.
fn read_line(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.first() == Some(&b'#') {
        return None;
    }
    let line = trim(raw);
    if line.is_empty() {
        return None;
    }
    let (exception, rest) = match line.strip_prefix(b"!") {
        Some(rest) => (true, trim(rest)),
        None => (false, line),
    };
    let mut pattern = rest.to_vec();
    if !pattern.is_empty() {
        pattern = clean(&pattern);
        if pattern.len() > 1 && pattern[0] == b'/' {
            pattern.remove(0);
        }
    }
    Some(if exception {
        [b"!".as_slice(), &pattern].concat()
    } else {
        pattern
    })
}

/// Go's `strings.TrimSpace` on bytes: Unicode white space at both ends; a byte that is not
/// valid UTF-8 stops the trimming.
pub(crate) fn trim(mut bytes: &[u8]) -> &[u8] {
    while let Some(len) = leading_space(bytes) {
        bytes = &bytes[len..];
    }
    while let Some(len) = trailing_space(bytes) {
        bytes = &bytes[..bytes.len() - len];
    }
    bytes
}

fn leading_space(bytes: &[u8]) -> Option<usize> {
    let n = (1..=bytes.len().min(4)).find(|&n| std::str::from_utf8(&bytes[..n]).is_ok())?;
    let c = std::str::from_utf8(&bytes[..n]).ok()?.chars().next()?;
    c.is_whitespace().then_some(n)
}

fn trailing_space(bytes: &[u8]) -> Option<usize> {
    let len = bytes.len();
    let n = (1..=len.min(4)).find(|&n| std::str::from_utf8(&bytes[len - n..]).is_ok())?;
    let c = std::str::from_utf8(&bytes[len - n..])
        .ok()?
        .chars()
        .next()?;
    c.is_whitespace().then_some(n)
}

#[cfg(test)]
#[path = "dockerignore_tests.rs"]
mod tests;
