//! Lone UTF-16 surrogate escapes (`"\ud800"` without the low half that must follow it, or a
//! low half alone) are not Unicode, so serde_json refuses the whole file; JavaScript's
//! `JSON.parse`, and with it Jaeger UI's file loader, reads them. Tools that cut a string
//! in the middle of a character write them. This reader rewrites each lone surrogate
//! escape to `\ufffd` (the replacement character) on the way in — the same six bytes, so
//! every byte offset and line number stays what it was in the file.
//!
//! Written by hand because it is a filter on the escapes of a byte stream, not a parser:
//! no JSON crate offers a lossy mode for this one rule.

use std::io::{BufRead, Read, Result};

/// `\uXXXX`: the escape's length.
const ESCAPE: usize = 6;

/// Reads `inner`, replacing lone surrogate escapes with `\ufffd`.
pub(crate) struct Surrogates<R> {
    inner: R,
    /// Bytes read from `inner` and not yet handed out; `ready` of them are checked.
    pending: Vec<u8>,
    ready: usize,
    eof: bool,
}

impl<R: BufRead> Surrogates<R> {
    pub(crate) fn new(inner: R) -> Surrogates<R> {
        Surrogates {
            inner,
            pending: Vec::new(),
            ready: 0,
            eof: false,
        }
    }
}

fn hex4(bytes: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(bytes.get(..4)?).ok()?;
    u16::from_str_radix(text, 16).ok()
}

fn high(u: u16) -> bool {
    (0xD800..=0xDBFF).contains(&u)
}

fn low(u: u16) -> bool {
    (0xDC00..=0xDFFF).contains(&u)
}

/// Checks and repairs `buf` (which starts outside any escape) as far as it can be decided
/// without the bytes after it — all of it at the end of the input. Returns how far it got;
/// the rest starts outside an escape too.
fn repair(buf: &mut [u8], eof: bool) -> usize {
    let (mut i, mut escaped) = (0, false);
    while i < buf.len() {
        if !escaped {
            // Most of a trace file has no escape at all: jump to the next backslash.
            match buf[i..].iter().position(|&b| b == b'\\') {
                Some(at) => {
                    i += at + 1;
                    escaped = true;
                }
                None => i = buf.len(),
            }
            continue;
        }
        escaped = false;
        if buf[i] != b'u' {
            i += 1;
            continue;
        }
        // `buf[i - 1..]` is `\u` and what follows; a high half needs its low half too.
        let need = i - 1 + 2 * ESCAPE;
        if buf.len() < i + 5 || (!eof && buf.len() < need && hex4(&buf[i + 1..]).is_some_and(high))
        {
            if eof {
                return buf.len();
            }
            // Wait for more: from the backslash on, nothing is decided yet.
            return i - 1;
        }
        match hex4(&buf[i + 1..]) {
            Some(u) if high(u) => {
                let pair = buf.get(i + 5..i + 7) == Some(b"\\u")
                    && buf.get(i + 7..).and_then(hex4).is_some_and(low);
                match pair {
                    true => i += 5 + ESCAPE,
                    false => {
                        buf[i + 1..i + 5].copy_from_slice(b"fffd");
                        i += 5;
                    }
                }
            }
            Some(u) if low(u) => {
                buf[i + 1..i + 5].copy_from_slice(b"fffd");
                i += 5;
            }
            _ => i += 1,
        }
    }
    match escaped && !eof {
        // A backslash last: what it escapes is not read yet.
        true => buf.len() - 1,
        false => buf.len(),
    }
}

impl<R: BufRead> Read for Surrogates<R> {
    fn read(&mut self, out: &mut [u8]) -> Result<usize> {
        loop {
            if self.ready > 0 {
                let n = self.ready.min(out.len());
                out[..n].copy_from_slice(&self.pending[..n]);
                self.pending.drain(..n);
                self.ready -= n;
                return Ok(n);
            }
            if self.eof && self.pending.is_empty() {
                return Ok(0);
            }
            if !self.eof {
                let chunk = self.inner.fill_buf()?;
                self.eof = chunk.is_empty();
                self.pending.extend_from_slice(chunk);
                let n = chunk.len();
                self.inner.consume(n);
            }
            // `ready` is 0 here: everything checked was handed out, and what is left
            // starts outside an escape.
            self.ready = repair(&mut self.pending, self.eof);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out `step` bytes at a time, so escapes straddle its buffers.
    struct Chunks<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Chunks<'_> {
        fn read(&mut self, out: &mut [u8]) -> Result<usize> {
            let n = self.step.min(self.data.len()).min(out.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn through(text: &str, step: usize) -> String {
        let inner = std::io::BufReader::with_capacity(
            step,
            Chunks {
                data: text.as_bytes(),
                step,
            },
        );
        let mut out = String::new();
        Surrogates::new(inner).read_to_string(&mut out).unwrap();
        out
    }

    #[test]
    fn lone_halves_become_the_replacement_character_and_pairs_stay() {
        for step in [1, 2, 3, 5, 7, 64] {
            let cases = [
                (r#"{"a":"x\ud800y"}"#, r#"{"a":"x\ufffdy"}"#),
                (r#"{"a":"\udc00"}"#, r#"{"a":"\ufffd"}"#),
                (r#"{"a":"\ud83d\ude00"}"#, r#"{"a":"\ud83d\ude00"}"#),
                (r#"{"a":"\ud83d\u0041"}"#, r#"{"a":"\ufffd\u0041"}"#),
                (r#"{"a":"\ud83d"}"#, r#"{"a":"\ufffd"}"#),
                // An escaped backslash before `u` is not an escape.
                (r#"{"a":"\\ud800"}"#, r#"{"a":"\\ud800"}"#),
                (r#"{"a":"\\\ud800"}"#, r#"{"a":"\\\ufffd"}"#),
                (r#"{"a":"\u00e9\n"}"#, r#"{"a":"\u00e9\n"}"#),
                // Cut off at the end: left for the parser to refuse.
                (r#"{"a":"\ud8"#, r#"{"a":"\ud8"#),
                (r#"\ud800"#, r#"\ufffd"#),
            ];
            for (input, want) in cases {
                assert_eq!(through(input, step), want, "{input} in steps of {step}");
            }
        }
    }

    #[test]
    fn the_repaired_text_parses_and_keeps_its_length() {
        let input = r#"[{"s":"a\ud800b","t":"\udfff"}]"#;
        let out = through(input, 4);
        assert_eq!(out.len(), input.len());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v[0]["s"], "a\u{fffd}b");
        assert!(serde_json::from_str::<serde_json::Value>(input).is_err());
    }
}
