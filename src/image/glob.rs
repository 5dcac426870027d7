//! Docker's glob on bytes: Go's `filepath.Match` syntax plus `**`, turned into a matcher the
//! way moby's pattern matcher does it — a plain string, a prefix, a suffix, or a Go regular
//! expression — and Go's `filepath.Clean` for patterns.
//!
//! Written out here because no crate reproduces Docker's semantics, which users' existing
//! `.dockerignore` files rely on: moby translates a pattern into the text of a Go regexp
//! without looking at character classes, so `[a*]` is a class followed by a repetition and
//! `^` in a wildcard pattern is an anchor. The Go text is parsed with Go's rules in
//! `goregex.rs` and rewritten for the `regex` crate, so both engines agree on every pattern
//! Go accepts, and what Go refuses is refused.

use regex::Regex;

use super::goregex;

/// Go's `filepath.Clean` for `/`-separated byte paths: collapse separators, drop `.`,
/// resolve `..` against the element before it, and never leave `..` above a rooted path.
pub(crate) fn clean(path: &[u8]) -> Vec<u8> {
    if path.is_empty() {
        return b".".to_vec();
    }
    let rooted = path.starts_with(b"/");
    let mut parts: Vec<&[u8]> = Vec::new();
    for part in path.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => match parts.last() {
                Some(&last) if last != b".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(b".."),
            },
            other => parts.push(other),
        }
    }
    let joined = parts.join(&b'/');
    match (rooted, joined.is_empty()) {
        (true, _) => [b"/".as_slice(), &joined].concat(),
        (false, true) => b".".to_vec(),
        (false, false) => joined,
    }
}

/// A compiled pattern. Like moby's pattern matcher, a pattern without wildcards is compared
/// as bytes, `x**` as a prefix and `**x` as a suffix; only the rest is a regex.
#[derive(Debug, Clone)]
pub(crate) enum Glob {
    Exact(Vec<u8>),
    Prefix(Vec<u8>),
    Suffix(Vec<u8>),
    Regex(Regex),
}

impl Glob {
    pub(crate) fn is_match(&self, path: &[u8]) -> bool {
        match self {
            Glob::Exact(text) => path == text.as_slice(),
            Glob::Prefix(prefix) => path.starts_with(prefix),
            // `**/foo` also matches `foo` at the root.
            Glob::Suffix(suffix) => {
                path.ends_with(suffix) || suffix.strip_prefix(b"/").is_some_and(|rest| path == rest)
            }
            Glob::Regex(regex) => match std::str::from_utf8(path) {
                Ok(text) => regex.is_match(text),
                Err(_) => regex.is_match(&go_runes(path)),
            },
        }
    }
}

/// A byte string as Go's regexp reads it: each byte that is not part of valid UTF-8 is
/// one U+FFFD.
pub(crate) fn go_runes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for _ in chunk.invalid() {
            out.push(char::REPLACEMENT_CHARACTER);
        }
    }
    out
}

/// How moby's matcher classifies a pattern while translating it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Regex,
}

/// Go's `regexp.QuoteMeta` characters that are not glob syntax: moby escapes these.
fn moby_escapes(ch: char) -> bool {
    matches!(ch, '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$')
}

/// Translates a cleaned pattern the way moby's pattern matcher does, after the syntax check
/// `filepath.Match` makes.
pub(crate) fn compile(pattern: &[u8]) -> Result<Glob, String> {
    validate(pattern)?;
    let (kind, go) = translate(pattern);
    match kind {
        Kind::Exact => Ok(Glob::Exact(pattern.to_vec())),
        // Strip the trailing `**`, or the leading one (bytes, as Go slices the string).
        Kind::Prefix => Ok(Glob::Prefix(pattern[..pattern.len() - 2].to_vec())),
        Kind::Suffix => Ok(Glob::Suffix(pattern[2..].to_vec())),
        Kind::Regex => goregex::to_rust(&go).and_then(|rust| {
            regex::RegexBuilder::new(&rust)
                // Thousands of patterns each keep a lazy DFA cache; a small one keeps the
                // matcher's memory proportionate (paths are short).
                .dfa_size_limit(64 * 1024)
                .build()
                .map(Glob::Regex)
                .map_err(|e| format!("cannot be compiled ({})", e.to_string().trim()))
        }),
    }
}

/// moby's translation: the Go regexp text and the kind. The pattern is read rune by rune
/// like Go's `text/scanner` reads it: a byte outside valid UTF-8 is U+FFFD and a leading
/// byte-order mark is skipped.
fn translate(pattern: &[u8]) -> (Kind, String) {
    let mut runes: Vec<char> = go_runes(pattern).chars().collect();
    if runes.first() == Some(&'\u{feff}') {
        runes.remove(0);
    }
    let mut kind = Kind::Exact;
    let mut re = String::from("^");
    let mut i = 0;
    let mut iteration = 0;
    while i < runes.len() {
        let ch = runes[i];
        i += 1;
        let first = iteration == 0;
        iteration += 1;
        match ch {
            '*' if runes.get(i) == Some(&'*') => {
                i += 1;
                if runes.get(i) == Some(&'/') {
                    i += 1;
                }
                if i == runes.len() {
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        re.push_str(".*");
                        kind = Kind::Regex;
                    }
                } else {
                    re.push_str("(.*/)?");
                    kind = Kind::Regex;
                }
                if first {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                re.push_str("[^/]*");
                kind = Kind::Regex;
            }
            '?' => {
                re.push_str("[^/]");
                kind = Kind::Regex;
            }
            c if moby_escapes(c) => {
                re.push('\\');
                re.push(c);
            }
            '\\' => match runes.get(i) {
                Some(&next) => {
                    i += 1;
                    re.push('\\');
                    re.push(next);
                    kind = Kind::Regex;
                }
                None => re.push('\\'),
            },
            '[' | ']' => {
                re.push(ch);
                kind = Kind::Regex;
            }
            c => re.push(c),
        }
    }
    re.push('$');
    (kind, re)
}

/// The syntax checks of Go's `filepath.Match` (what moby checks when it reads a pattern):
/// a class is closed and not empty, a class member is valid UTF-8, a range has both ends,
/// and the pattern does not end with an escaping `\`. Go does not check range order here.
fn validate(pattern: &[u8]) -> Result<(), String> {
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'\\' => {
                if i + 1 >= pattern.len() {
                    return Err("ends with an escaping backslash".into());
                }
                i += 2;
            }
            b'[' => {
                i += 1;
                if pattern.get(i) == Some(&b'^') {
                    i += 1;
                }
                let mut members = 0;
                loop {
                    if pattern.get(i) == Some(&b']') && members > 0 {
                        i += 1;
                        break;
                    }
                    class_char(pattern, &mut i)?;
                    if pattern[i] == b'-' {
                        i += 1;
                        class_char(pattern, &mut i)?;
                    }
                    members += 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// Go's `getEsc`: one class member, which must be followed by more of the pattern.
fn class_char(pattern: &[u8], i: &mut usize) -> Result<(), String> {
    let malformed = || "has an unterminated or malformed character class".to_string();
    match pattern.get(*i) {
        None | Some(b']') | Some(b'-') => return Err(malformed()),
        Some(b'\\') => {
            *i += 1;
            if *i >= pattern.len() {
                return Err(malformed());
            }
        }
        Some(_) => {}
    }
    let rest = &pattern[*i..];
    let len = utf8_len(rest).ok_or_else(malformed)?;
    *i += len;
    if *i >= pattern.len() {
        return Err(malformed());
    }
    Ok(())
}

/// The length of the valid UTF-8 character at the start of `bytes`, if there is one.
fn utf8_len(bytes: &[u8]) -> Option<usize> {
    let take = bytes.len().min(4);
    (1..=take).find(|&n| std::str::from_utf8(&bytes[..n]).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, path: &str) -> bool {
        compile(pattern.as_bytes())
            .unwrap()
            .is_match(path.as_bytes())
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
            assert_eq!(clean(input.as_bytes()), want.as_bytes(), "clean({input:?})");
        }
    }

    #[test]
    fn kinds_follow_moby() {
        assert!(matches!(compile(b"a.b").unwrap(), Glob::Exact(_)));
        assert!(matches!(compile(b"a.b**").unwrap(), Glob::Prefix(_)));
        assert!(matches!(compile(b"**/x").unwrap(), Glob::Suffix(_)));
        assert!(matches!(compile(b"**/*.md").unwrap(), Glob::Regex(_)));
        assert!(matches!(compile(b"a\\b").unwrap(), Glob::Regex(_)));
    }

    #[test]
    fn caret_in_a_wildcard_pattern_is_an_anchor() {
        // moby does not escape `^`: in a regex pattern it anchors, so nothing matches.
        assert!(!matches("a^b*", "a^bc"));
        assert!(!matches("*^", "x^"));
        // Without wildcards the pattern is a plain string.
        assert!(matches("a^b", "a^b"));
        // Negation right after `[`.
        assert!(matches("[^a]b", "cb") && !matches("[^a]b", "ab"));
    }

    #[test]
    fn stars_and_question_marks_inside_a_class_become_moby_text() {
        // `[a*]` is `[a[^/]*]` for Go: the class {a [ ^ /} repeated, then `]`.
        assert!(matches("[a*]", "]") && matches("[a*]", "aa]") && matches("[a*]", "a/^]"));
        assert!(!matches("[a*]", "a") && !matches("[a*]", "*"));
        // `[a?]` is `[a[^/]]`: one of {a [ ^ /}, then `]`.
        assert!(matches("[a?]", "a]") && matches("[a?]", "[]"));
        assert!(!matches("[a?]", "a") && !matches("[a?]", "?"));
        // `[a-*]` is a backwards range `a-[`: refused, as Go's regexp refuses it.
        assert!(compile(b"[a-*]").is_err());
    }

    #[test]
    fn posix_and_perl_classes_are_ascii() {
        assert!(matches("f[[:digit:]]", "f7") && !matches("f[[:digit:]]", "fx"));
        assert!(matches("[[:^alpha:]]x", "1x") && !matches("[[:^alpha:]]x", "ax"));
        assert!(compile(b"[[:nope:]]").is_err());
        assert!(matches("v\\d", "v1") && !matches("v\\d", "v\u{0663}"));
        assert!(matches("a\\wb", "a_b") && !matches("a\\wb", "aéb"));
        assert!(matches("a\\sb", "a b"));
        assert!(matches("x\\pL*", "xé") && !matches("x\\pL", "x1"));
    }

    #[test]
    fn escapes_as_go_reads_them() {
        assert!(matches("x\\*y", "x*y") && !matches("x\\*y", "xzy"));
        assert!(matches("x\\ty", "x\ty"));
        assert!(matches("\\x41", "A"));
        // `\0` then `12` reads as the octal escape \012, a newline.
        assert!(matches("a\\012", "a\n"));
        for bad in ["\\q", "a\\1", "\\C", "x\\é", "\\pX", "\\b[", "[\\b]"] {
            assert!(
                compile(bad.as_bytes()).is_err(),
                "{bad:?} should be refused"
            );
        }
        // `\Q` quotes the rest of moby's regex text, up to `\E` or the end.
        assert!(matches("\\Qa*", "a[^/]*$"));
    }

    #[test]
    fn syntax_errors_of_filepath_match() {
        for bad in ["[abc", "[]", "[^]", "a[-z]", "[a-]", "trailing\\"] {
            assert!(
                compile(bad.as_bytes()).is_err(),
                "{bad:?} should be refused"
            );
        }
        assert!(compile(b"[\xff]").is_err(), "a class member must be UTF-8");
    }

    #[test]
    fn bytes_outside_utf8_are_one_rune_each() {
        let glob = compile(b"a?c").unwrap();
        assert!(glob.is_match(b"a\xffc"));
        assert!(!glob.is_match(b"a\xff\xfec"));
        assert!(glob.is_match("aéc".as_bytes()));
        // Exact patterns compare bytes.
        let glob = compile(b"caf\xe9").unwrap();
        assert!(glob.is_match(b"caf\xe9") && !glob.is_match("café".as_bytes()));
        // In a regex pattern an invalid byte reads as U+FFFD and matches one such byte.
        let glob = compile(b"x\xff*").unwrap();
        assert!(glob.is_match(b"x\xfeyz"));
    }

    #[test]
    fn double_stars_as_moby_classifies_them() {
        assert!(matches("**.log", "a/b.log") && matches("**foo", "xfoo"));
        assert!(matches("**/foo", "foo") && !matches("**/foo", "afoo"));
        assert!(matches("build**", "builder/x") && !matches("build**", "a/build"));
        assert!(matches("a/**/z", "a/z") && matches("a/**/z", "a/b/c/z"));
        assert!(matches("**a**", "x/ab/c"));
    }
}
