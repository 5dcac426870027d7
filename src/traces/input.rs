//! The bytes of a trace file before any format is looked at: where they come from (a
//! path, or stdin for `-`), gzip undone (recognized by its magic bytes, not the name), a
//! UTF-8 byte-order mark dropped, and the document split into its JSON values — one for
//! a plain file, one per line for JSON Lines (the OpenTelemetry Collector's file exporter
//! writes one OTLP document per line).

use std::borrow::Cow;
use std::io::Read as _;
use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::detect::Shape;

/// Reads a file, or stdin when the path is `-`.
pub fn read_source(path: &Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut bytes)
            .context("reading the trace from stdin")?;
        return Ok(bytes);
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Undoes gzip and drops a byte-order mark.
pub(crate) fn decode(bytes: &[u8]) -> Result<Cow<'_, [u8]>> {
    let bytes: Cow<'_, [u8]> = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .context("the input starts like gzip but does not decompress")?;
        Cow::Owned(out)
    } else {
        Cow::Borrowed(bytes)
    };
    Ok(match bytes {
        Cow::Borrowed(b) => Cow::Borrowed(b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b)),
        Cow::Owned(mut b) => {
            if b.starts_with(b"\xef\xbb\xbf") {
                b.drain(..3);
            }
            Cow::Owned(b)
        }
    })
}

/// One JSON value of the input: where it is and its outline.
#[derive(Debug)]
pub(crate) struct Document {
    pub range: Range<usize>,
    /// 1-based line it starts on.
    pub line: usize,
    pub shape: Shape,
}

/// The JSON values the input holds, in order. Empty input is an error.
pub(crate) fn documents(bytes: &[u8]) -> Result<Vec<Document>> {
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        bail!("the input is UTF-16; save it as UTF-8");
    }
    let mut docs = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Shape>();
    let mut line = 1;
    let mut counted = 0;
    loop {
        let before = stream.byte_offset();
        let Some(next) = stream.next() else { break };
        let start = before
            + bytes[before..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
        line += bytes[counted..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        counted = start;
        let shape = next.map_err(|e| {
            if docs.is_empty() {
                anyhow::Error::new(e).context("not valid JSON")
            } else {
                anyhow::Error::new(e).context(format!("line {line}: not valid JSON"))
            }
        })?;
        docs.push(Document {
            range: start..stream.byte_offset(),
            line,
            shape,
        });
    }
    if docs.is_empty() {
        bail!("the input is empty: no JSON document in it");
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn gzip_and_bom_are_undone() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"\xef\xbb\xbf[1]").unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(&*decode(&gz).unwrap(), b"[1]");
        assert_eq!(&*decode(b"\xef\xbb\xbf{}").unwrap(), b"{}");
        let err = decode(&gz[..6]).unwrap_err();
        assert!(
            format!("{err:#}").contains("does not decompress"),
            "{err:#}"
        );
    }

    #[test]
    fn json_lines_are_split_with_their_line_numbers() {
        let docs = documents(b"{\"a\":1}\n\n{\"b\":[1,\n2]}\n[3]\n").unwrap();
        let lines: Vec<usize> = docs.iter().map(|d| d.line).collect();
        assert_eq!(lines, [1, 3, 5]);
        assert_eq!(docs[1].range, 9..21);
        let err = documents(b"{}\n{\"a\":\n").unwrap_err();
        assert!(
            format!("{err:#}").starts_with("line 2: not valid JSON"),
            "{err:#}"
        );
        assert!(documents(b"  \n").is_err());
    }
}
