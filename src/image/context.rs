//! The build context: the service directory as a tar stream, filtered by `.dockerignore`.
//!
//! The tar is written on a blocking thread into a bounded channel of 64 KiB chunks that
//! the HTTP body reads, so memory stays flat however large the context is, and a dropped
//! request (engine gone, Ctrl-C) stops the walk at the next chunk. Entries are written
//! the way the docker CLI writes them: in lexical order, owned by 0:0, symlinks as links,
//! and the Dockerfile and `.dockerignore` always included.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use futures::Stream;
use tar::{EntryType, Header, HeaderMode};
use tokio::sync::mpsc;

use super::dockerignore::Matcher;

const CHUNK: usize = 64 * 1024;
const CHUNKS_IN_FLIGHT: usize = 16;

/// What went into the context.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub bytes: u64,
    pub excluded: u64,
}

/// Reads `dir/.dockerignore` (if any) and makes sure `dockerfile` and `.dockerignore`
/// are always sent and msv's `.msv/` never is. Fails when the Dockerfile is missing.
pub fn matcher_for(dir: &Path, dockerfile: &str) -> Result<Matcher> {
    let dockerfile_path = dir.join(dockerfile);
    if !dockerfile_path.is_file() {
        bail!(
            "no {dockerfile} in {}: write one, or run msv build in the service directory",
            dir.display()
        );
    }
    matcher_from(&dir.join(".dockerignore"), Some(dockerfile))
}

/// The matcher of the ignore file at `ignore_path` (none there: nothing ignored), keeping
/// `dockerfile` (when it is in the context) and `.dockerignore`.
pub fn matcher_from(ignore_path: &Path, dockerfile: Option<&str>) -> Result<Matcher> {
    let ignore_path = ignore_path.to_path_buf();
    let mut matcher = match std::fs::read(&ignore_path) {
        Ok(bytes) => Matcher::parse(&String::from_utf8_lossy(&bytes))
            .with_context(|| format!("reading {}", ignore_path.display()))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => Matcher::default(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", ignore_path.display())),
    };
    // msv's own state changes on every build and push; sending it would defeat the
    // engine's cache for `COPY . .`.
    matcher.exclude_first(super::record::STATE_DIR);
    if let Some(dockerfile) = dockerfile {
        matcher.keep(dockerfile);
    }
    matcher.keep(".dockerignore");
    Ok(matcher)
}

/// Writes the context of `dir` as a tar into `out`.
pub fn write_tar<W: Write>(dir: &Path, matcher: &Matcher, out: W) -> Result<Summary> {
    let mut builder = tar::Builder::new(out);
    builder.follow_symlinks(false);
    let mut summary = Summary::default();
    let mut walk = walkdir::WalkDir::new(dir)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(|e| {
            let path = e
                .path()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dir.to_path_buf());
            anyhow::anyhow!("reading the build context at {}: {e}", path.display())
        })?;
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("walk stays under its root");
        let name = rel.to_string_lossy();
        let is_dir = entry.file_type().is_dir();
        if matcher.excludes(&name) {
            summary.excluded += 1;
            if is_dir && !(matcher.has_exceptions() && matcher.must_descend(&name)) {
                walk.skip_current_dir();
            }
            continue;
        }
        let meta = entry
            .path()
            .symlink_metadata()
            .with_context(|| format!("reading {}", entry.path().display()))?;
        let mut header = Header::new_gnu();
        header.set_metadata_in_mode(&meta, HeaderMode::Complete);
        header.set_uid(0);
        header.set_gid(0);
        let _ = header.set_username("");
        let _ = header.set_groupname("");
        let file_type = meta.file_type();
        if file_type.is_dir() {
            builder.append_data(&mut header, rel, io::empty())
        } else if file_type.is_symlink() {
            let target = std::fs::read_link(entry.path())
                .with_context(|| format!("reading the link {}", entry.path().display()))?;
            header.set_entry_type(EntryType::Symlink);
            header.set_size(0);
            builder.append_link(&mut header, rel, target)
        } else if file_type.is_file() {
            let file = File::open(entry.path())
                .with_context(|| format!("reading {}", entry.path().display()))?;
            summary.files += 1;
            summary.bytes += meta.len();
            let exact = Exact {
                inner: file,
                left: meta.len(),
                path: entry.path().to_path_buf(),
            };
            builder.append_data(&mut header, rel, exact)
        } else {
            // Sockets and devices have no place in an image build; docker skips sockets too.
            continue;
        }
        .with_context(|| format!("adding {} to the build context", rel.display()))?;
    }
    builder
        .into_inner()
        .context("finishing the build context")?
        .flush()?;
    Ok(summary)
}

/// Streams the context of `dir`: the chunks for the request body, and the writer
/// thread whose result says what was sent (or why it stopped).
pub fn stream(
    dir: PathBuf,
    matcher: Matcher,
) -> (
    impl Stream<Item = io::Result<Bytes>> + Send + 'static,
    JoinHandle<Result<Summary>>,
) {
    let (tx, mut rx) = mpsc::channel::<io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
    let handle = std::thread::spawn(move || {
        let writer = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let result = write_tar(&dir, &matcher, writer);
        if let Err(e) = &result {
            // Fail the request body, so the engine does not build a truncated context.
            let _ = tx.blocking_send(Err(io::Error::other(format!("{e:#}"))));
        }
        result
    });
    let body = futures::stream::poll_fn(move |cx| rx.poll_recv(cx));
    (body, handle)
}

/// Sends what is written as chunks over a bounded channel; blocks while the reader is
/// behind, fails once the reader is gone.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the build request ended"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let room = CHUNK - self.buf.len();
        let n = room.min(data.len());
        self.buf.extend_from_slice(&data[..n]);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// A file reader that yields exactly the size the header announced, or fails: a file
/// that shrinks or grows while it is read would otherwise corrupt the tar.
struct Exact {
    inner: File,
    left: u64,
    path: PathBuf,
}

impl Read for Exact {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::other(format!(
                "{} shrank while it was being sent",
                self.path.display()
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let matcher = matcher_for(dir, "Dockerfile").unwrap();
        let mut out = Vec::new();
        write_tar(dir, &matcher, &mut out).unwrap();
        let mut archive = tar::Archive::new(&out[..]);
        archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                assert_eq!(e.header().uid().unwrap(), 0);
                e.path().unwrap().to_string_lossy().into_owned()
            })
            .collect()
    }

    #[test]
    fn ignored_files_stay_out_and_build_files_stay_in() {
        let dir = tree(&[
            ("Dockerfile", "FROM scratch\n"),
            (".dockerignore", "*\n!src\n!docs/keep.md\n"),
            ("src/main.rs", "fn main() {}"),
            ("target/big", "xx"),
            ("docs/keep.md", "k"),
            ("docs/drop.md", "d"),
        ]);
        let got = names(dir.path());
        assert_eq!(
            got,
            [
                ".dockerignore",
                "Dockerfile",
                "docs/keep.md",
                "src",
                "src/main.rs"
            ],
            "excluded directory entries are not sent, files below an exception are"
        );
    }

    #[test]
    fn excluded_directories_are_walked_only_for_an_exception_naming_them() {
        // Docker's prefix test: `!*/keep` does not name `docs/`, so `docs` is not walked
        // and `docs/keep` stays out, although the pattern alone would match it.
        let dir = tree(&[
            ("Dockerfile", "FROM scratch\n"),
            (".dockerignore", "docs\nlib\n!*/keep\n!lib/keep\n"),
            ("docs/keep", "k"),
            ("lib/keep", "k"),
            ("lib/drop", "d"),
        ]);
        assert_eq!(
            names(dir.path()),
            [".dockerignore", "Dockerfile", "lib/keep"]
        );
    }

    #[test]
    fn no_dockerignore_sends_everything_in_order() {
        let dir = tree(&[("Dockerfile", "FROM scratch\n"), ("b/x", "1"), ("a", "2")]);
        assert_eq!(names(dir.path()), ["Dockerfile", "a", "b", "b/x"]);
    }

    #[test]
    fn missing_dockerfile_is_a_clear_error() {
        let dir = tree(&[("main.rs", "")]);
        let err = matcher_for(dir.path(), "Dockerfile")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no Dockerfile in"), "{err}");
    }

    #[test]
    fn symlinks_are_sent_as_links() {
        let dir = tree(&[("Dockerfile", "FROM scratch\n")]);
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("link")).unwrap();
        let matcher = matcher_for(dir.path(), "Dockerfile").unwrap();
        let mut out = Vec::new();
        write_tar(dir.path(), &matcher, &mut out).unwrap();
        let mut archive = tar::Archive::new(&out[..]);
        let link = archive
            .entries()
            .unwrap()
            .map(Result::unwrap)
            .find(|e| e.path().unwrap().to_str() == Some("link"))
            .unwrap();
        assert_eq!(link.header().entry_type(), EntryType::Symlink);
        assert_eq!(
            link.link_name().unwrap().unwrap().to_str(),
            Some("/etc/passwd")
        );
    }

    #[tokio::test]
    async fn streaming_yields_the_same_bytes_in_chunks() {
        use futures::StreamExt;
        let big = "x".repeat(300_000);
        let dir = tree(&[("Dockerfile", "FROM scratch\n"), ("big", &big)]);
        let matcher = matcher_for(dir.path(), "Dockerfile").unwrap();
        let mut whole = Vec::new();
        write_tar(dir.path(), &matcher, &mut whole).unwrap();
        let (body, handle) = stream(dir.path().to_path_buf(), matcher);
        let chunks: Vec<Bytes> = body.map(Result::unwrap).collect().await;
        assert!(chunks.len() > 1);
        assert!(chunks.iter().all(|c| c.len() <= CHUNK));
        assert_eq!(chunks.concat(), whole);
        let summary = handle.join().unwrap().unwrap();
        assert_eq!(summary.files, 2);
    }
}
