//! The bytes of a trace file before any format is looked at: where they come from (a
//! path, or stdin for `-`), gzip undone (recognized by its magic bytes, not the name), a
//! UTF-8 byte-order mark dropped, and the document split into its JSON values — one for
//! a plain file, one per line for JSON Lines (the OpenTelemetry Collector's file exporter
//! writes one OTLP document per line). Lone UTF-16 surrogate escapes, which JavaScript
//! reads and serde_json refuses, become `\ufffd` on the way (see `surrogates`).

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::detect::Shape;

/// Where a trace file's bytes come from. A file is opened again for each pass over it
/// (one, or placing its documents then reading them) and read as it is parsed, so its size does
/// not count against memory; stdin is read into memory first, since it cannot be read twice.
pub enum Source<'a> {
    Path(&'a Path),
    Bytes(&'a [u8]),
}

/// The decoded text of a source, read through a buffer (serde_json reads it byte by byte).
pub(crate) type Reader<'a> = BufReader<Box<dyn Read + 'a>>;

const BUFFER: usize = 256 * 1024;

/// Reads all of stdin (for `--file -`).
pub fn read_stdin() -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .context("reading the trace from stdin")?;
    Ok(bytes)
}

impl<'a> Source<'a> {
    /// Opens the source with gzip undone and a byte-order mark dropped.
    pub(crate) fn open(&self) -> Result<Reader<'a>> {
        let raw: Box<dyn Read + 'a> = match self {
            // The caller names the file in its message.
            Source::Path(path) => Box::new(std::fs::File::open(path)?),
            Source::Bytes(bytes) => Box::new(*bytes),
        };
        let mut r = BufReader::with_capacity(BUFFER, raw);
        let mut r = if r.fill_buf()?.starts_with(&[0x1f, 0x8b]) {
            let gz: Box<dyn Read + 'a> = Box::new(Gzip(flate2::bufread::MultiGzDecoder::new(r)));
            BufReader::with_capacity(BUFFER, gz)
        } else {
            r
        };
        let head = r
            .fill_buf()
            .context("the input starts like gzip but does not decompress")?;
        if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
            bail!("the input is UTF-16; save it as UTF-8");
        }
        if head.starts_with(b"\xef\xbb\xbf") {
            r.consume(3);
        }
        let repaired: Box<dyn Read + 'a> = Box::new(super::surrogates::Surrogates::new(r));
        Ok(BufReader::with_capacity(BUFFER, repaired))
    }
}

/// A gzip stream whose read errors say where they come from (they surface through the
/// JSON parser, which would show only the decoder's words).
struct Gzip<R>(flate2::bufread::MultiGzDecoder<R>);

impl<R: BufRead> Read for Gzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.0.read(buf).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!("the input starts like gzip but does not decompress: {e}"),
            )
        })
    }
}

/// One JSON value of the input: where it ends and its outline.
#[derive(Debug)]
pub(crate) struct Document {
    /// Byte offset just past it, in the decoded text.
    pub end: u64,
    /// 1-based line it starts on (counted only when the input holds several values).
    pub line: usize,
    pub shape: Shape,
}

/// The JSON values the input holds, in order. Empty input is an error.
pub(crate) fn documents(src: &Source<'_>) -> Result<Vec<Document>> {
    let mut docs = Vec::new();
    let mut stream = serde_json::Deserializer::from_reader(src.open()?).into_iter::<Shape>();
    let mut failed = None;
    while let Some(next) = stream.next() {
        match next {
            Ok(shape) => docs.push(Document {
                end: 0,
                line: 1,
                shape,
            }),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
        // `byte_offset` is past the value just read.
        let end = stream.byte_offset() as u64;
        if let Some(d) = docs.last_mut() {
            d.end = end;
        }
    }
    if let Some(e) = failed {
        if e.is_io() {
            return Err(anyhow::Error::new(e));
        }
        if docs.is_empty() {
            return Err(anyhow::Error::new(e).context("not valid JSON"));
        }
        let after = docs.last().map_or(0, |d| d.end);
        let line = start_lines(src.open()?, &[after])?[0];
        return Err(anyhow::Error::new(e).context(format!("line {line}: not valid JSON")));
    }
    if docs.is_empty() {
        bail!("the input is empty: no JSON document in it");
    }
    if docs.len() > 1 {
        let afters: Vec<u64> = std::iter::once(0)
            .chain(docs.iter().map(|d| d.end))
            .take(docs.len())
            .collect();
        for (d, line) in docs.iter_mut().zip(start_lines(src.open()?, &afters)?) {
            d.line = line;
        }
    }
    Ok(docs)
}

/// For each offset (ascending), the 1-based line of the first byte at or after it that is
/// not white space: where a value that follows the one ending there starts.
fn start_lines(mut r: impl BufRead, afters: &[u64]) -> Result<Vec<usize>> {
    let mut lines = Vec::with_capacity(afters.len());
    let (mut offset, mut line) = (0u64, 1usize);
    while lines.len() < afters.len() {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            lines.resize(afters.len(), line);
            break;
        }
        let n = chunk.len();
        for &b in chunk {
            if lines.len() < afters.len()
                && offset >= afters[lines.len()]
                && !b.is_ascii_whitespace()
            {
                lines.push(line);
            }
            line += usize::from(b == b'\n');
            offset += 1;
        }
        r.consume(n);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn text(src: Source<'_>) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        src.open()?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn gzip_and_bom_are_undone() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"\xef\xbb\xbf[1]").unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(text(Source::Bytes(&gz)).unwrap(), b"[1]");
        assert_eq!(text(Source::Bytes(b"\xef\xbb\xbf{}")).unwrap(), b"{}");
        let err = text(Source::Bytes(&gz[..12])).unwrap_err();
        assert!(
            format!("{err:#}").contains("does not decompress"),
            "{err:#}"
        );
        // Cut inside the JSON it holds: the parser meets the decoder's error.
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let list: Vec<u32> = (0..10_000).collect();
        gz.write_all(&serde_json::to_vec(&list).unwrap()).unwrap();
        let gz = gz.finish().unwrap();
        let err = documents(&Source::Bytes(&gz[..gz.len() / 2])).unwrap_err();
        assert!(
            format!("{err:#}").contains("does not decompress"),
            "{err:#}"
        );
    }

    #[test]
    fn json_lines_are_split_with_their_line_numbers() {
        let docs = documents(&Source::Bytes(b"{\"a\":1}\n\n{\"b\":[1,\n2]}\n[3]\n")).unwrap();
        let lines: Vec<usize> = docs.iter().map(|d| d.line).collect();
        assert_eq!(lines, [1, 3, 5]);
        assert_eq!(docs[1].end, 21);
        let err = documents(&Source::Bytes(b"{}\n{\"a\":\n")).unwrap_err();
        assert!(
            format!("{err:#}").starts_with("line 2: not valid JSON"),
            "{err:#}"
        );
        assert!(documents(&Source::Bytes(b"  \n")).is_err());
        let err = documents(&Source::Bytes(b"\xff\xfe{")).unwrap_err();
        assert!(format!("{err:#}").contains("UTF-16"), "{err:#}");
    }
}
