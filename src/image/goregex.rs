//! Go's regexp syntax (RE2 with Go's `Perl` flags, as `regexp.Compile` parses it), read
//! and rewritten as an equivalent pattern for the `regex` crate.
//!
//! moby turns a `.dockerignore` pattern into Go regexp text, and what that text means is
//! Go's reading of it: `[` inside a class is a plain character (Rust nests classes), `\d`
//! `\w` `\s` `\b` are ASCII (Rust's are Unicode), `\Q...\E` quotes, `\012` is octal, and
//! `\q` is an error. Every literal is written out as `\x{..}` so nothing in the output
//! depends on Rust's own escaping rules. Only what moby's translation can produce needs
//! reading: there are no flags, no `{n,m}` and no alternation, because moby escapes
//! `(`, `)`, `{`, `}` and `|` coming from a pattern.

use std::fmt::Write as _;

/// Go's POSIX classes, as ASCII ranges.
const POSIX: &[(&str, &[(char, char)])] = &[
    ("alnum", &[('0', '9'), ('A', 'Z'), ('a', 'z')]),
    ("alpha", &[('A', 'Z'), ('a', 'z')]),
    ("ascii", &[('\x00', '\x7f')]),
    ("blank", &[('\t', '\t'), (' ', ' ')]),
    ("cntrl", &[('\x00', '\x1f'), ('\x7f', '\x7f')]),
    ("digit", &[('0', '9')]),
    ("graph", &[('!', '~')]),
    ("lower", &[('a', 'z')]),
    ("print", &[(' ', '~')]),
    ("punct", &[('!', '/'), (':', '@'), ('[', '`'), ('{', '~')]),
    ("space", &[('\t', '\r'), (' ', ' ')]),
    ("upper", &[('A', 'Z')]),
    ("word", &[('0', '9'), ('A', 'Z'), ('a', 'z'), ('_', '_')]),
    ("xdigit", &[('0', '9'), ('A', 'F'), ('a', 'f')]),
];

/// Go's Perl classes `\d`, `\s`, `\w` (ASCII only).
fn perl(letter: char) -> Option<&'static [(char, char)]> {
    match letter.to_ascii_lowercase() {
        'd' => Some(&[('0', '9')]),
        's' => Some(&[('\t', '\n'), ('\x0c', '\r'), (' ', ' ')]),
        'w' => Some(&[('0', '9'), ('A', 'Z'), ('a', 'z'), ('_', '_')]),
        _ => None,
    }
}

/// The one-letter Unicode classes Go knows (`\pL`); longer names need braces, which
/// moby's text never has unescaped.
const UNICODE_ONE_LETTER: &str = "CLMNPSZ";

fn hex(ch: char) -> String {
    format!("\\x{{{:X}}}", ch as u32)
}

fn ranges(set: &[(char, char)]) -> String {
    set.iter()
        .map(|&(lo, hi)| format!("{}-{}", hex(lo), hex(hi)))
        .collect()
}

/// Rewrites Go regexp text; an error says what Go would refuse.
pub(crate) fn to_rust(go: &str) -> Result<String, String> {
    let chars: Vec<char> = go.chars().collect();
    let mut out = String::with_capacity(go.len() * 2);
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        match ch {
            '[' => {
                let (class, next) = class(&chars, i)?;
                out.push_str(&class);
                i = next;
                continue;
            }
            '\\' => {
                i = escape_outside(&chars, i, &mut out)?;
                continue;
            }
            '^' | '$' | '.' | '(' | ')' | '*' | '+' | '?' | '|' => out.push(ch),
            c => out.push_str(&hex(c)),
        }
        i += 1;
    }
    Ok(out)
}

/// One escape outside a class, starting at the `\`; returns where the text goes on.
fn escape_outside(chars: &[char], at: usize, out: &mut String) -> Result<usize, String> {
    let Some(&letter) = chars.get(at + 1) else {
        return Err("ends with a lone backslash".into());
    };
    match letter {
        'A' => out.push_str("\\A"),
        'z' => out.push_str("\\z"),
        'b' => out.push_str("(?-u:\\b)"),
        'B' => out.push_str("(?-u:\\B)"),
        'C' => return Err("uses \\C, which Go's regexp does not support".into()),
        'Q' => {
            // Literal text up to `\E` or the end.
            let rest = &chars[at + 2..];
            let end = rest.windows(2).position(|w| w == ['\\', 'E']);
            let literal = &rest[..end.unwrap_or(rest.len())];
            out.extend(literal.iter().map(|&c| hex(c)));
            return Ok(at + 2 + end.map_or(rest.len(), |e| e + 2));
        }
        'p' | 'P' => {
            let name = chars.get(at + 2).copied();
            match name {
                Some(n) if UNICODE_ONE_LETTER.contains(n) => {
                    let _ = write!(out, "\\{letter}{{{n}}}");
                    return Ok(at + 3);
                }
                _ => return Err(format!("has an unknown Unicode class \\{letter}")),
            }
        }
        l if perl(l).is_some() => {
            let set = ranges(perl(l).unwrap_or_default());
            let negated = if l.is_ascii_uppercase() { "^" } else { "" };
            let _ = write!(out, "[{negated}{set}]");
        }
        _ => {
            let (ch, next) = escaped_char(chars, at)?;
            out.push_str(&hex(ch));
            return Ok(next);
        }
    }
    Ok(at + 2)
}

/// Go's `parseEscape`: octal, hex, C escapes and escaped punctuation; anything else
/// (`\q`, `\é`, `\1` alone) is an invalid escape.
fn escaped_char(chars: &[char], at: usize) -> Result<(char, usize), String> {
    let invalid = |upto: usize| {
        let text: String = chars[at..upto.min(chars.len())].iter().collect();
        Err(format!("has an invalid escape {text}"))
    };
    let Some(&c) = chars.get(at + 1) else {
        return invalid(at + 1);
    };
    let mut i = at + 2;
    let is_octal = |c: Option<&char>| c.is_some_and(|c| ('0'..='7').contains(c));
    match c {
        '1'..='7' if !is_octal(chars.get(i)) => invalid(i),
        '0'..='7' => {
            let mut value = c as u32 - '0' as u32;
            for _ in 0..2 {
                if !is_octal(chars.get(i)) {
                    break;
                }
                value = value * 8 + (chars[i] as u32 - '0' as u32);
                i += 1;
            }
            Ok((char::from_u32(value).unwrap_or('\0'), i))
        }
        'x' => {
            let digit = |c: Option<&char>| c.and_then(|c| c.to_digit(16));
            if chars.get(i) == Some(&'{') {
                let mut value: u32 = 0;
                let mut j = i + 1;
                let mut digits = 0;
                while let Some(d) = digit(chars.get(j)) {
                    value = value.saturating_mul(16).saturating_add(d);
                    j += 1;
                    digits += 1;
                }
                if digits == 0 || chars.get(j) != Some(&'}') || value > 0x10_ffff {
                    return invalid(j + 1);
                }
                return char::from_u32(value).map_or_else(|| invalid(j + 1), |c| Ok((c, j + 1)));
            }
            match (digit(chars.get(i)), digit(chars.get(i + 1))) {
                (Some(a), Some(b)) => Ok((char::from_u32(a * 16 + b).unwrap_or('\0'), i + 2)),
                _ => invalid(i + 2),
            }
        }
        'a' => Ok(('\x07', i)),
        'f' => Ok(('\x0c', i)),
        'n' => Ok(('\n', i)),
        'r' => Ok(('\r', i)),
        't' => Ok(('\t', i)),
        'v' => Ok(('\x0b', i)),
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => Ok((c, i)),
        _ => invalid(i),
    }
}

/// One class starting at `[`, as Go's `parseClass` reads it; returns the Rust class and
/// where the text goes on.
fn class(chars: &[char], at: usize) -> Result<(String, usize), String> {
    let mut i = at + 1;
    let mut out = String::from("[");
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    let mut members = 0;
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("has a character class that is never closed".into());
        };
        if c == ']' && !first {
            i += 1;
            break;
        }
        first = false;
        members += 1;
        // `[:name:]`: Go looks for the next `:]` anywhere after `[:`.
        if c == '[' && chars.get(i + 1) == Some(&':') {
            let rest = &chars[i + 2..];
            if let Some(end) = rest.windows(2).position(|w| w == [':', ']']) {
                let name: String = rest[..end].iter().collect();
                let (negated, bare) = match name.strip_prefix('^') {
                    Some(bare) => (true, bare),
                    None => (false, name.as_str()),
                };
                let Some((_, set)) = POSIX.iter().find(|(n, _)| *n == bare) else {
                    return Err(format!("has an unknown class [:{name}:]"));
                };
                if negated {
                    let _ = write!(out, "[^{}]", ranges(set));
                } else {
                    out.push_str(&ranges(set));
                }
                i += 2 + end + 2;
                continue;
            }
        }
        if c == '\\' {
            match chars.get(i + 1) {
                Some(&l @ ('p' | 'P')) => match chars.get(i + 2) {
                    Some(&n) if UNICODE_ONE_LETTER.contains(n) => {
                        let _ = write!(out, "\\{l}{{{n}}}");
                        i += 3;
                        continue;
                    }
                    _ => return Err(format!("has an unknown Unicode class \\{l}")),
                },
                Some(&l) if perl(l).is_some() => {
                    let set = ranges(perl(l).unwrap_or_default());
                    if l.is_ascii_uppercase() {
                        let _ = write!(out, "[^{set}]");
                    } else {
                        out.push_str(&set);
                    }
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        let (lo, next) = class_char(chars, i)?;
        i = next;
        let mut hi = lo;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&c| c != ']') {
            let (h, next) = class_char(chars, i + 1)?;
            if h < lo {
                return Err(format!("has a backwards range {lo}-{h}"));
            }
            hi = h;
            i = next;
        }
        let _ = write!(out, "{}-{}", hex(lo), hex(hi));
    }
    debug_assert!(members > 0);
    out.push(']');
    Ok((out, i))
}

fn class_char(chars: &[char], at: usize) -> Result<(char, usize), String> {
    match chars.get(at) {
        None => Err("has a character class that is never closed".into()),
        Some('\\') => escaped_char(chars, at),
        Some(&c) => Ok((c, at + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rust(go: &str) -> regex::Regex {
        regex::Regex::new(&to_rust(go).unwrap()).unwrap()
    }

    #[test]
    fn a_bracket_inside_a_class_is_a_character() {
        let re = rust("^[a[^/]*]$");
        assert!(re.is_match("]") && re.is_match("a[^/]"));
        assert!(!re.is_match("b]"));
    }

    #[test]
    fn first_bracket_and_dash_are_members() {
        assert!(rust("^[]a]$").is_match("]"));
        assert!(rust("^[-a]$").is_match("-"));
        assert!(rust("^[a-]$").is_match("-"));
    }

    #[test]
    fn posix_class_search_runs_to_the_next_colon_bracket() {
        assert!(to_rust("[[:a]b:]]").is_err());
        assert!(rust("^[[:lower:][:digit:]]+$").is_match("ab12"));
    }

    #[test]
    fn errors_name_what_go_refuses() {
        assert!(to_rust("\\q").unwrap_err().contains("\\q"));
        assert!(to_rust("[z-a]").unwrap_err().contains("backwards"));
        assert!(to_rust("[abc").is_err());
        assert!(to_rust("\\x{110000}").is_err());
        assert!(to_rust("\\x4").is_err());
    }

    #[test]
    fn word_boundary_is_ascii() {
        let re = rust("^a\\b");
        assert!(re.is_match("a b") && !re.is_match("ab"));
        assert!(re.is_match("aé"), "é is not an ASCII word character");
    }
}
