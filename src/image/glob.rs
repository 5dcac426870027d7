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

/// Translates a cleaned pattern to an anchored regex the way moby's pattern matcher does.
pub(crate) fn compile(pattern: &str) -> Result<Regex, String> {
    validate(pattern)?;
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                }
                re.push_str(if chars.peek().is_none() {
                    ".*"
                } else {
                    "(.*/)?"
                });
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            '.' | '+' | '(' | ')' | '|' | '{' | '}' | '$' => {
                re.push('\\');
                re.push(ch);
            }
            '\\' => match chars.next() {
                Some(next) => re.push_str(&regex::escape(&next.to_string())),
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
            _ => re.push(ch),
        }
    }
    re.push('$');
    Regex::new(&re).map_err(|e| format!("cannot be compiled ({})", first_line(&e.to_string())))
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

pub(crate) fn literal(text: &str) -> Regex {
    Regex::new(&format!("^{}$", regex::escape(text))).expect("an escaped literal compiles")
}

fn first_line(s: &str) -> &str {
    s.lines().last().unwrap_or(s).trim()
}
