//! Docker's glob: Go's `filepath.Match` syntax plus `**`, translated to an anchored regex
//! the way moby's pattern matcher translates it, and Go's `filepath.Clean` for patterns.
//!
//! The translation is written out here because Docker's semantics (regex-based, `**/`
//! matching zero or more directories, `*` never crossing `/`) are what users' existing
//! `.dockerignore` files rely on, and no crate reproduces them.

use regex::Regex;

/// Go's `filepath.Clean` for `/`-separated paths: collapse separators, drop `.`, resolve
/// `..` against the element before it, and never leave `..` above a rooted path.
pub(crate) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// A compiled pattern. Like moby's pattern matcher, a pattern without wildcards is compared
/// as a string, `x**` as a prefix and `**x` as a suffix; only the rest is a regex. Besides
/// being cheaper per path, this is what Docker does: `**.log` excludes `a/b.log` (a plain
/// suffix), and `a^b` is the file `a^b`.
#[derive(Debug, Clone)]
pub(crate) enum Glob {
    Exact(String),
    Prefix(String),
    Suffix(String),
    Regex(Regex),
}

impl Glob {
    pub(crate) fn is_match(&self, path: &str) -> bool {
        match self {
            Glob::Exact(text) => path == text,
            Glob::Prefix(prefix) => path.starts_with(prefix.as_str()),
            // `**/foo` also matches `foo` at the root.
            Glob::Suffix(suffix) => {
                path.ends_with(suffix.as_str())
                    || suffix.strip_prefix('/').is_some_and(|rest| path == rest)
            }
            Glob::Regex(regex) => regex.is_match(path),
        }
    }
}

/// How moby's matcher classifies a pattern while translating it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Regex,
}

/// Translates a cleaned pattern the way moby's pattern matcher does.
pub(crate) fn compile(pattern: &str) -> Result<Glob, String> {
    validate(pattern)?;
    let mut kind = Kind::Exact;
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    let mut first = true;
    while let Some(ch) = chars.next() {
        let at_start = std::mem::replace(&mut first, false);
        match ch {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                if chars.peek().is_none() {
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
                if at_start {
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
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                re.push('\\');
                re.push(ch);
            }
            '\\' => match chars.next() {
                Some(next) => {
                    re.push_str(&regex::escape(&next.to_string()));
                    kind = Kind::Regex;
                }
                None => re.push_str("\\\\"),
            },
            // Rust's regex reads `&&`, `--`, `~~` and nested `[` inside a class as set
            // operations; Go's does not, so those characters are escaped to stay literal.
            '&' | '-' | '~' if in_class(&re) => {
                if ch == '-' && !re.ends_with('[') && !re.ends_with("[^") {
                    re.push('-');
                } else {
                    re.push('\\');
                    re.push(ch);
                }
            }
            '[' if in_class(&re) => re.push_str("\\["),
            ']' if !in_class(&re) => {
                re.push_str("\\]");
                kind = Kind::Regex;
            }
            '[' | ']' => {
                re.push(ch);
                kind = Kind::Regex;
            }
            // Outside a class `^` is a character of the name; in the regex it would anchor.
            '^' if !in_class(&re) => re.push_str("\\^"),
            _ => re.push(ch),
        }
    }
    match kind {
        Kind::Exact => Ok(Glob::Exact(pattern.to_string())),
        // Strip the trailing `**`, or the leading one.
        Kind::Prefix => Ok(Glob::Prefix(pattern[..pattern.len() - 2].to_string())),
        Kind::Suffix => Ok(Glob::Suffix(pattern[2..].to_string())),
        Kind::Regex => {
            re.push('$');
            Regex::new(&re)
                .map(Glob::Regex)
                .map_err(|e| format!("cannot be compiled ({})", first_line(&e.to_string())))
        }
    }
}

/// Whether the regex built so far ends inside an open character class.
fn in_class(re: &str) -> bool {
    let mut open = false;
    let mut escaped = false;
    for ch in re.chars() {
        match ch {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' if !open => open = true,
            ']' if open => open = false,
            _ => {}
        }
    }
    open
}

/// The syntax checks of Go's `filepath.Match`: classes are closed, not empty, and their
/// ranges run forwards; a trailing `\` is refused.
fn validate(pattern: &str) -> Result<(), String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                if i + 1 >= chars.len() {
                    return Err("ends with an escaping backslash".into());
                }
                i += 2;
            }
            '[' => {
                i += 1;
                if chars.get(i) == Some(&'^') {
                    i += 1;
                }
                let mut members = 0;
                loop {
                    let Some(&c) = chars.get(i) else {
                        return Err("has an unterminated character class".into());
                    };
                    if c == ']' && members > 0 {
                        i += 1;
                        break;
                    }
                    let low = class_char(&chars, &mut i)?;
                    if chars.get(i) == Some(&'-') {
                        i += 1;
                        let high = class_char(&chars, &mut i)?;
                        if high < low {
                            return Err(format!("has a backwards range {low}-{high}"));
                        }
                    }
                    members += 1;
                }
            }
            _ => i += 1,
        }
    }
    Ok(())
}

fn class_char(chars: &[char], i: &mut usize) -> Result<char, String> {
    match chars.get(*i) {
        None => Err("has an unterminated character class".into()),
        Some(']') | Some('-') => Err("has an empty or malformed character class".into()),
        Some('\\') => {
            let c = chars
                .get(*i + 1)
                .copied()
                .ok_or("has an unterminated character class")?;
            *i += 2;
            Ok(c)
        }
        Some(&c) => {
            *i += 1;
            Ok(c)
        }
    }
}

/// A pattern that names exactly one path.
pub(crate) fn literal(text: &str) -> Glob {
    Glob::Exact(text.to_string())
}

fn first_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
}
