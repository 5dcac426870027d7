//! Lenient JSON field readers shared by the parsers: backends write 64-bit numbers
//! either as JSON numbers or as strings (OTLP/JSON, Tempo), and ids as hex or base64.

use std::borrow::Cow;

use base64::Engine as _;
use serde::{Deserialize, Deserializer};

/// A u64 written as a number, a numeric string or null (null and junk read as absent).
/// Read straight from the input, without building a `serde_json::Value`.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    d.deserialize_any(Lenient).map(|v| match v {
        Scalar::U64(n) => Some(n),
        Scalar::I64(_) | Scalar::Other => None,
        Scalar::F64(f) => (f >= 0.0).then_some(f as u64),
        Scalar::Str(s) => s.trim().parse::<u64>().ok(),
    })
}

/// A number or a string, as OTLP enums (`kind`, `status.code`) and Jaeger error codes
/// are written: `2` or `"SPAN_KIND_SERVER"`. Anything else reads as absent.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum NumOrStr {
    Num(i64),
    Str(String),
    #[default]
    Absent,
}

impl<'de> Deserialize<'de> for NumOrStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<NumOrStr, D::Error> {
        Ok(match d.deserialize_any(Lenient)? {
            Scalar::U64(n) => i64::try_from(n).map_or(NumOrStr::Absent, NumOrStr::Num),
            Scalar::I64(n) => NumOrStr::Num(n),
            Scalar::F64(f) if f.fract() == 0.0 => NumOrStr::Num(f as i64),
            Scalar::Str(s) => NumOrStr::Str(s),
            _ => NumOrStr::Absent,
        })
    }
}

impl NumOrStr {
    pub(crate) fn as_i64(&self) -> Option<i64> {
        match self {
            NumOrStr::Num(n) => Some(*n),
            NumOrStr::Str(s) => s.trim().parse().ok(),
            NumOrStr::Absent => None,
        }
    }
}

enum Scalar {
    U64(u64),
    I64(i64),
    F64(f64),
    Str(String),
    Other,
}

/// Accepts any JSON value; containers are skipped, not kept.
struct Lenient;

impl<'de> serde::de::Visitor<'de> for Lenient {
    type Value = Scalar;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a number or a string")
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::U64(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::I64(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::F64(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_bool<E>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_none<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(Lenient)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Scalar, A::Error> {
        while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Scalar, A::Error> {
        while a
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Scalar::Other)
    }
}

/// A string, or null read as empty.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// An OTLP id: hex as the spec says, or base64 as Tempo's v1 API and protobuf-JSON
/// encoders write it. Returned as lower-case hex.
/// Borrowed when it already is (the usual case: no allocation per id).
pub(crate) fn otlp_id(raw: &str) -> Cow<'_, str> {
    let raw = raw.trim();
    if raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Cow::Borrowed(raw);
    }
    if raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Cow::Owned(raw.to_ascii_lowercase());
    }
    Cow::Owned(
        match base64::engine::general_purpose::STANDARD.decode(raw) {
            Ok(bytes) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
            Err(_) => raw.to_ascii_lowercase(),
        },
    )
}

/// Reads one document from a byte slice with a format's reader, as `serde_json::from_slice`
/// would (trailing characters are an error). The readers take a deserializer so that a
/// file is read from disk as it is parsed, never held whole.
pub(crate) fn slice<T>(
    text: &[u8],
    read: impl FnOnce(&mut serde_json::Deserializer<serde_json::de::SliceRead<'_>>) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let mut d = serde_json::Deserializer::from_slice(text);
    let value = read(&mut d)?;
    d.end()?;
    Ok(value)
}

/// Microseconds to nanoseconds without overflow.
pub(crate) fn us_to_ns(us: u64) -> u64 {
    us.saturating_mul(1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_numbers() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "opt_u64")]
            n: Option<u64>,
            #[serde(default)]
            k: NumOrStr,
        }
        let f = |s: &str| {
            let t: T = serde_json::from_str(s).unwrap();
            (t.n, t.k)
        };
        assert_eq!(f(r#"{"n":"12","k":2}"#), (Some(12), NumOrStr::Num(2)));
        assert_eq!(f(r#"{"n":-1,"k":"X"}"#), (None, NumOrStr::Str("X".into())));
        assert_eq!(f(r#"{"n":[1],"k":{"a":[]}}"#), (None, NumOrStr::Absent));
        assert_eq!(f(r#"{"n":null}"#), (None, NumOrStr::Absent));
    }

    #[test]
    fn base64_ids_become_hex() {
        assert_eq!(
            otlp_id("O6VWCcPN5JZJzXfR+dzZNg=="),
            "3ba55609c3cde49649cd77d1f9dcd936"
        );
        assert_eq!(otlp_id("EEE19B7EC3C1B174"), "eee19b7ec3c1b174");
    }
}
