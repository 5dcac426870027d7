//! `.dockerignore` matching with Docker's own rules.
//!
//! Written by hand because no maintained crate applies Docker's rules: gitignore crates
//! (`ignore`, `globset`) differ on the points that matter here — a Docker pattern is
//! anchored at the context root (`foo` does not match `a/foo`), `**` follows moby's
//! translation, and a match on a parent directory excludes everything below it.
//!
//! The rules, as the docker CLI and moby's pattern matcher apply them:
//! - each line is trimmed; `#` starts a comment; blank lines are skipped; a UTF-8 BOM on
//!   the first line is dropped;
//! - `!` makes an exception (re-include); a bare `!` is an error;
//! - a pattern is cleaned like Go's `filepath.Clean` (`./a//b/` is `a/b`, `a/../b` is `b`)
//!   and one leading `/` is dropped, so `/foo` and `foo` are the same;
//! - the glob is Go's `filepath.Match` plus `**`: `*` and `?` never match `/`, `[...]` is a
//!   class (negated by `^`), `\` escapes, `**/` matches any number of directories
//!   (including none) and a trailing `**` matches anything;
//! - a path is excluded when the last pattern that matches it — or one of its parent
//!   directories — is not an exception.
//!
//! This module decides; `context.rs` walks the tree and skips directories.

use std::fmt;

use super::glob::{Glob, clean, compile, literal};

/// One cleaned pattern of a `.dockerignore` file.
#[derive(Debug, Clone)]
struct Pattern {
    /// The cleaned pattern text, without the leading `!`.
    text: String,
    exception: bool,
    glob: Glob,
}

/// The patterns of one `.dockerignore` file, in file order.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    patterns: Vec<Pattern>,
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
            ".dockerignore line {}: invalid pattern {:?}: {}",
            self.line, self.pattern, self.reason
        )
    }
}

impl std::error::Error for PatternError {}

impl Matcher {
    /// Parses the text of a `.dockerignore` file.
    pub fn parse(text: &str) -> Result<Self, PatternError> {
        let mut patterns = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let raw = if index == 0 {
                raw.strip_prefix('\u{feff}').unwrap_or(raw)
            } else {
                raw
            };
            let Some(line) = normalize_line(raw) else {
                continue;
            };
            let error = |reason: &str| PatternError {
                line: index + 1,
                pattern: raw.trim().to_string(),
                reason: reason.to_string(),
            };
            // moby cleans the line once more, "!" included, before compiling it.
            let cleaned = clean(&line);
            let (exception, text) = match cleaned.strip_prefix('!') {
                Some("") => return Err(error("a lone \"!\" excludes nothing")),
                Some(rest) => (true, rest.to_string()),
                None => (false, cleaned),
            };
            let glob = compile(&text).map_err(|reason| error(&reason))?;
            patterns.push(Pattern {
                text,
                exception,
                glob,
            });
        }
        Ok(Self { patterns })
    }

    /// Puts an exclusion before every pattern of the file, so the file can still
    /// re-include what it names with `!`.
    pub fn exclude_first(&mut self, pattern: &str) {
        let text = clean(pattern);
        let glob = literal(&text);
        self.patterns.insert(
            0,
            Pattern {
                text,
                exception: false,
                glob,
            },
        );
    }

    /// Adds an exception so that `path` is sent even when a pattern excludes it
    /// (the Dockerfile and `.dockerignore`, as the docker CLI does).
    pub fn keep(&mut self, path: &str) {
        if self.excludes(path) {
            let text = clean(path);
            let glob = literal(&text);
            self.patterns.push(Pattern {
                text,
                exception: true,
                glob,
            });
        }
    }

    /// Whether any pattern is an exception (`!...`).
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exception)
    }

    /// Whether `path` (relative to the context root, `/`-separated) is excluded: the last
    /// pattern matching the path or one of its parent directories decides.
    pub fn excludes(&self, path: &str) -> bool {
        let mut excluded = false;
        for pattern in &self.patterns {
            // Only a pattern that could change the answer needs evaluating.
            if pattern.exception != excluded {
                continue;
            }
            // The path itself, then its parent directories ("a", "a/b" for "a/b/c").
            let hit = pattern.glob.is_match(path)
                || path
                    .match_indices('/')
                    .any(|(end, _)| pattern.glob.is_match(&path[..end]));
            if hit {
                excluded = !pattern.exception;
            }
        }
        excluded
    }

    /// Whether a directory that is itself excluded must still be walked, because an
    /// exception names something below it (moby's prefix test on the pattern text:
    /// `<pattern>/` starts with `<dir>/`).
    pub fn must_descend(&self, dir: &str) -> bool {
        self.patterns.iter().filter(|p| p.exception).any(|p| {
            p.text
                .strip_prefix(dir)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
}

/// Trims, drops comments and blanks, cleans the path and drops one leading `/`,
/// keeping a leading `!` (the docker CLI's reading of a line).
fn normalize_line(raw: &str) -> Option<String> {
    let line = raw.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (exception, mut pattern) = match line.strip_prefix('!') {
        Some(rest) => (true, rest.trim().to_string()),
        None => (false, line.to_string()),
    };
    if !pattern.is_empty() {
        pattern = clean(&pattern);
        if pattern.len() > 1 && pattern.starts_with('/') {
            pattern.remove(0);
        }
    }
    Some(if exception {
        format!("!{pattern}")
    } else {
        pattern
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Matcher {
        Matcher::parse(text).unwrap()
    }

    #[test]
    fn go_clean() {
        for (input, want) in [
            ("", "."),
            (".", "."),
            ("./a//b/", "a/b"),
            ("a/../b", "b"),
            ("../a", "../a"),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("//a", "/a"),
            ("/", "/"),
            ("a/./b/.", "a/b"),
        ] {
            assert_eq!(clean(input), want, "clean({input:?})");
        }
    }

    #[test]
    fn documented_examples() {
        // The examples of Docker's .dockerignore reference.
        let rules = m("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
        assert!(rules.excludes("somedir/temporary.txt"));
        assert!(rules.excludes("somedir/temp"));
        assert!(rules.excludes("somedir/subdir/temporary.txt"));
        assert!(rules.excludes("tempa"));
        assert!(rules.excludes("tempb"));
        assert!(!rules.excludes("temp"));
        assert!(!rules.excludes("temporary.txt"));
        assert!(!rules.excludes("a/b/c/temp"));

        let rules = m("*.md\n!README.md\n");
        assert!(rules.excludes("CHANGES.md"));
        assert!(!rules.excludes("README.md"));

        let rules = m("*.md\n!README*.md\nREADME-secret.md\n");
        assert!(rules.excludes("README-secret.md"));
        assert!(!rules.excludes("README-public.md"));

        let rules = m("*.md\nREADME-secret.md\n!README*.md\n");
        assert!(!rules.excludes("README-secret.md"));
    }

    #[test]
    fn double_star() {
        let rules = m("**/*.go\n");
        assert!(rules.excludes("main.go"));
        assert!(rules.excludes("a/b/c.go"));
        assert!(!rules.excludes("a/b/c.rs"));
        let rules = m("a/**/z\n");
        assert!(rules.excludes("a/z"));
        assert!(rules.excludes("a/b/c/z"));
        assert!(!rules.excludes("b/z"));
        let rules = m("logs/**\n");
        assert!(rules.excludes("logs/x"));
        assert!(rules.excludes("logs/x/y"));
        let rules = m("**\n!keep\n");
        assert!(rules.excludes("x/y"));
        assert!(!rules.excludes("keep"));
    }

    #[test]
    fn anchored_at_the_root_and_parents_exclude_children() {
        let rules = m("node_modules\n");
        assert!(rules.excludes("node_modules"));
        assert!(rules.excludes("node_modules/x/y.js"));
        assert!(!rules.excludes("web/node_modules"));
        let rules = m("/target/\n./build//out/\n");
        assert!(rules.excludes("target/debug/msv"));
        assert!(rules.excludes("build/out/a"));
        assert!(!rules.excludes("build/in"));
    }

    #[test]
    fn exceptions_and_descending() {
        let rules = m("docs\n!docs/keep.md\n");
        assert!(rules.excludes("docs/other.md"));
        assert!(!rules.excludes("docs/keep.md"));
        assert!(rules.has_exceptions());
        assert!(rules.must_descend("docs"));
        assert!(!rules.must_descend("doc"));
        let rules = m("*\n!src\n");
        assert!(!rules.excludes("src/a/b.rs"));
        assert!(rules.excludes("target/a"));
    }

    #[test]
    fn classes_escapes_and_question_marks() {
        let rules = m("file[0-9].txt\n[^a]b\nx\\*y\n");
        assert!(rules.excludes("file5.txt"));
        assert!(!rules.excludes("fileA.txt"));
        assert!(rules.excludes("cb"));
        assert!(!rules.excludes("ab"));
        assert!(rules.excludes("x*y"));
        assert!(!rules.excludes("xzy"));
        let rules = m("a?c\n");
        assert!(rules.excludes("abc"));
        assert!(!rules.excludes("a/c"));
        let rules = m("a.b\n");
        assert!(!rules.excludes("axb"), "'.' is literal");
    }

    #[test]
    fn keep_overrides_exclusion() {
        let mut rules = m("*\n");
        assert!(rules.excludes("Dockerfile"));
        rules.keep("Dockerfile");
        rules.keep(".dockerignore");
        assert!(!rules.excludes("Dockerfile"));
        assert!(!rules.excludes(".dockerignore"));
        assert!(rules.excludes("src"));
    }

    #[test]
    fn patterns_without_wildcards_are_plain_names() {
        // The fuzz target's first find: `^` went into the regex unescaped and anchored, so
        // "docker^ile" could be neither excluded by name nor re-included with `!`.
        let rules = m("*\n!src\n");
        assert!(rules.excludes("docker^ile"));
        let rules = m("*\n!src\n!docker^ile\n");
        assert!(!rules.excludes("docker^ile"));
        let rules = m("a^b\nc]d\nx$y\n");
        assert!(rules.excludes("a^b") && rules.excludes("c]d") && rules.excludes("x$y"));
        assert!(rules.excludes("a^b/below"));
        assert!(!rules.excludes("a") && !rules.excludes("b"));
        let rules = m("[^a]^\n");
        assert!(rules.excludes("b^"), "^ negates only right after [");
        assert!(!rules.excludes("a^"));
    }

    #[test]
    fn leading_and_trailing_double_stars_are_moby_suffixes_and_prefixes() {
        // Docker compares `**x` as a plain suffix, so `**.log` and `**foo` reach into
        // names at any depth, not only whole names after a `/`.
        let rules = m("**.log\n**foo\n");
        assert!(rules.excludes("a.log") && rules.excludes("deep/er/b.log"));
        assert!(rules.excludes("xfoo") && rules.excludes("a/bfoo") && rules.excludes("foo"));
        assert!(!rules.excludes("foo.txt"));
        let rules = m("**/foo\n");
        assert!(rules.excludes("foo") && rules.excludes("a/foo"));
        assert!(!rules.excludes("afoo"));
        let rules = m("build**\n");
        assert!(rules.excludes("build") && rules.excludes("builder/x"));
        assert!(!rules.excludes("a/build"));
        let rules = m("**\n");
        assert!(rules.excludes("anything/at/all"));
    }

    #[test]
    fn bad_patterns_name_their_line() {
        let err = Matcher::parse("ok\n!\n").unwrap_err();
        assert_eq!(err.line, 2);
        let err = Matcher::parse("a\nb\n[abc\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.to_string().contains("unterminated"), "{err}");
        assert!(Matcher::parse("[z-a]\n").is_err());
        assert!(Matcher::parse("trailing\\\n").is_err());
    }

    #[test]
    fn exclusions_put_first_can_be_overridden() {
        let mut rules = m("!.msv/keep\n");
        rules.exclude_first(".msv");
        assert!(rules.excludes(".msv/image.json"));
        assert!(!rules.excludes(".msv/keep"));
    }

    #[test]
    fn comments_blanks_and_bom() {
        let rules = m("\u{feff}secret\n\n   # not a pattern\n  spaced  \n");
        assert!(rules.excludes("secret"));
        assert!(rules.excludes("spaced"));
        assert!(!rules.excludes("# not a pattern"));
    }

    /// Never panics, whatever the pattern text and path: a small deterministic
    /// generator (xorshift) over an alphabet rich in glob syntax.
    #[test]
    fn randomized_patterns_never_panic() {
        const ALPHABET: &[char] = &[
            '*', '?', '[', ']', '^', '!', '\\', '/', '.', '-', '&', '~', 'a', 'b', ' ', '#', 'é',
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..3_000 {
            let mut text = String::new();
            let mut path = String::new();
            for _ in 0..(next() % 24) {
                text.push(if next() % 9 == 0 {
                    '\n'
                } else {
                    ALPHABET[(next() % 17) as usize]
                });
            }
            for _ in 0..(next() % 12) {
                path.push(ALPHABET[(next() % 17) as usize]);
            }
            if let Ok(mut rules) = Matcher::parse(&text) {
                let _ = rules.excludes(&path);
                let _ = rules.must_descend(&path);
                rules.keep(&path);
                assert!(!rules.excludes(&path) || clean(&path) != path);
            }
        }
    }
}
