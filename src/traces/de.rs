//! Lenient JSON field readers shared by the parsers: backends write 64-bit numbers
//! either as JSON numbers or as strings (OTLP/JSON, Tempo), and ids as hex or base64.

use base64::Engine as _;
use serde::{Deserialize, Deserializer};

/// A u64 written as a number, a numeric string or null (null and junk read as absent).
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        serde_json::Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    })
}

/// A string, or null read as empty.
pub(crate) fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// An OTLP id: hex as the spec says, or base64 as Tempo's v1 API and protobuf-JSON
/// encoders write it. Returned as lower-case hex.
pub(crate) fn otlp_id(raw: &str) -> String {
    let raw = raw.trim();
    if raw.bytes().all(|b| b.is_ascii_hexdigit()) {
        return raw.to_ascii_lowercase();
    }
    match base64::engine::general_purpose::STANDARD.decode(raw) {
        Ok(bytes) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        Err(_) => raw.to_ascii_lowercase(),
    }
}

/// Microseconds to nanoseconds without overflow.
pub(crate) fn us_to_ns(us: u64) -> u64 {
    us.saturating_mul(1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_ids_become_hex() {
        assert_eq!(
            otlp_id("O6VWCcPN5JZJzXfR+dzZNg=="),
            "3ba55609c3cde49649cd77d1f9dcd936"
        );
        assert_eq!(otlp_id("EEE19B7EC3C1B174"), "eee19b7ec3c1b174");
    }
}
