//! A document's format decided from its first bytes, when they leave no doubt about what
//! [`place`] would say of the whole document, so that the file is read once, by the typed
//! parser alone. That holds for OTLP whose first key is `resourceSpans` (or
//! `{"result": {"resourceSpans": ..}}`) and for a list whose first element fits in the
//! bytes looked at (Zipkin, Jaeger spans): [`place`] looks no further than those.
//!
//! Everything else (a Jaeger object, whose keys after `data` or `spans` may still change
//! the answer, or a first element larger than the bytes at hand) is left undecided, and
//! the outline pass of [`super::detect`] reads the whole document first.

use std::cell::Cell;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{
    DeserializeSeed, Deserializer, Error as _, IntoDeserializer as _, MapAccess, SeqAccess, Visitor,
};

use super::detect::{DEPTH, Format, OTLP_ROOT, Shape, ShapeVisitor, place};

/// The format of the document `head` starts with, when `head` already decides it; `None`
/// when more of the document would be needed, or `head` does not start a JSON value.
pub(crate) fn certain(head: &[u8]) -> Option<Format> {
    let found = Cell::new(None);
    let mut d = serde_json::Deserializer::from_slice(head);
    // The sniffer stops as soon as it knows (with an error, so nothing more is read):
    // the result is in `found`, not in what `deserialize` returns.
    let _ = Sniff(&found).deserialize(&mut d);
    found.get()
}

/// Why the sniffer stops reading.
const ENOUGH: &str = "seen enough";

struct Sniff<'a>(&'a Cell<Option<Format>>);

impl<'de> DeserializeSeed<'de> for Sniff<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Sniff<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object or list")
    }

    /// An object: `place` answers OTLP whatever follows once an OTLP root key is there,
    /// or a `result` / `trace` wrapper whose content is OTLP trace data.
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        let Some(key) = a.next_key::<String>()? else {
            return Err(A::Error::custom(ENOUGH));
        };
        let otlp = match key.as_str() {
            k if OTLP_ROOT.contains(&k) => true,
            "result" | "trace" => {
                let inner = Cell::new(false);
                let _ = a.next_value_seed(OtlpData(&inner));
                inner.get()
            }
            _ => false,
        };
        if otlp {
            self.0.set(Some(Format::Otlp));
        }
        Err(A::Error::custom(ENOUGH))
    }

    /// A list: `place` looks only at its first element that is not an empty list.
    fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        let mut first = None;
        while let Some(s) = a.next_element_seed(ShapeVisitor(DEPTH - 1))? {
            let empty = s == Shape::Array(None);
            if first.is_none() || !empty {
                first = Some(s);
            }
            if !empty {
                break;
            }
        }
        self.0.set(place(&Shape::Array(first.map(Box::new))).ok());
        Err(A::Error::custom(ENOUGH))
    }
}

/// Whether a wrapper's content starts as OTLP trace data: `{}` or an OTLP root key first.
struct OtlpData<'a>(&'a Cell<bool>);

impl<'de> DeserializeSeed<'de> for OtlpData<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for OtlpData<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<(), A::Error> {
        let key = a.next_key::<String>()?;
        self.0
            .set(key.is_none_or(|k| OTLP_ROOT.contains(&k.as_str())));
        Err(A::Error::custom(ENOUGH))
    }
}

/// Deserializes `T` from a JSON object whose first key is one of `keys` — the way a
/// document of a JSON Lines file is read in the pass that read the one before it, once
/// its first key has placed it. Any other first key, or a value that is not an object,
/// is an error.
pub(crate) fn object_starting_with<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
    keys: &'static [&'static str],
) -> Result<T, D::Error> {
    d.deserialize_map(FirstKey(keys, PhantomData))
}

struct FirstKey<T>(&'static [&'static str], PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for FirstKey<T> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "an object whose first key is one of {:?}", self.0)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<T, A::Error> {
        match a.next_key::<String>()? {
            Some(first) if self.0.contains(&first.as_str()) => {
                T::deserialize(MapAccessDeserializer::new(Replay {
                    first: Some(first),
                    rest: a,
                }))
            }
            _ => Err(A::Error::custom(format!(
                "the first key is not one of {:?}",
                self.0
            ))),
        }
    }
}

/// An object's entries with its first key, already read, given back first.
struct Replay<A> {
    first: Option<String>,
    rest: A,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(key) => seed.deserialize(key.into_deserializer()).map(Some),
            None => self.rest.next_key_seed(seed),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.rest.next_value_seed(seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn otlp_is_known_from_its_first_key() {
        // Cut short: the rest is not needed.
        assert_eq!(certain(br#"{"resourceSpans":[{"resou"#), Some(Format::Otlp));
        assert_eq!(certain(br#" {"resource_spans":"#), Some(Format::Otlp));
        assert_eq!(
            certain(br#"{"result":{"resourceSpans":[{"#),
            Some(Format::Otlp)
        );
        assert_eq!(certain(br#"{"trace":{"batches":[]}}"#), Some(Format::Otlp));
        assert_eq!(certain(br#"{"result":{}}"#), Some(Format::Otlp));
    }

    #[test]
    fn objects_whose_later_keys_could_change_the_answer_are_left_open() {
        // `"resourceSpans"` after them would make these OTLP, or an error.
        assert_eq!(certain(br#"{"data":[{"traceID":"1","spans":[]}]}"#), None);
        assert_eq!(
            certain(br#"{"traceID":"1","spans":[],"processes":{}}"#),
            None
        );
        assert_eq!(certain(br#"{"result":{"x":1,"resourceSpans":[]}}"#), None);
        assert_eq!(certain(br#"{"result":[1]}"#), None);
        assert_eq!(certain(b"{}"), None);
    }

    #[test]
    fn a_later_document_is_read_when_its_first_key_places_it() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct T {
            a: u8,
            #[serde(default)]
            b: u8,
        }
        let read = |s: &str| -> Result<T, serde_json::Error> {
            object_starting_with(&mut serde_json::Deserializer::from_str(s), &["a"])
        };
        assert_eq!(read(r#"{"a":1,"b":2,"c":3}"#).unwrap(), T { a: 1, b: 2 });
        assert!(read(r#"{"b":2,"a":1}"#).is_err());
        assert!(
            read(r#"{"a":1,"a":2}"#)
                .unwrap_err()
                .to_string()
                .contains("duplicate")
        );
        assert!(read("[1]").is_err());
    }

    #[test]
    fn lists_are_known_from_a_whole_first_element() {
        let v2 = br#"[[],[{"traceId":"1","id":"2","localEndpoint":{}}],[{"#;
        assert_eq!(certain(v2), Some(Format::ZipkinV2 { nested: true }));
        let v1 = br#"[{"traceId":"1","id":"2","annotations":[{"value":"cs","endpoint":{}}]},{"#;
        assert_eq!(certain(v1), Some(Format::ZipkinV1 { nested: false }));
        assert_eq!(certain(b"[[],[]] "), Some(Format::Empty));
        // The first element is cut off, or fits no format: the outline pass decides.
        assert_eq!(
            certain(br#"[{"traceId":"1","id":"2","annotations":[{"#),
            None
        );
        assert_eq!(certain(b"[1,2]"), None);
        assert_eq!(certain(b""), None);
        assert_eq!(certain(b"3"), None);
    }
}
