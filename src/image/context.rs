//! The build context: the service directory as a tar stream, filtered by `.dockerignore`.
//!
//! The tar is written on a blocking thread into a bounded channel of 64 KiB chunks that
//! the HTTP body reads, so memory stays flat however large the context is, and a dropped
//! request (engine gone, Ctrl-C) stops the walk at the next chunk. Entries are written
//! the way the docker CLI writes them (see [`write_tar`]), in the order and with the
//! choices of its walk (see [`walk`]); the Dockerfile and `.dockerignore` are always
//! included.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use anyhow::{Context as _, Result};
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

/// The Dockerfile the engine is told to read: `dockerfile` in `dir` — or `dockerfile` in
/// lower case when that is the only one, for the default name — with symbolic links
/// resolved, as a path relative to the context, `/`-separated. Like the docker CLI, a
/// Dockerfile that is a link names its target to the engine, so the target is sent.
pub fn resolve_dockerfile(dir: &Path, dockerfile: &str) -> Result<String> {
    let mut given = dir.join(dockerfile);
    if dockerfile == "Dockerfile" && given.symlink_metadata().is_err() {
        let lower = dir.join("dockerfile");
        if lower.symlink_metadata().is_ok() {
            given = lower;
        }
    }
    let missing = || {
        anyhow::anyhow!(
            "no {dockerfile} in {}: write one, or run msv build in the service directory",
            dir.display()
        )
    };
    if given.symlink_metadata().is_err() {
        return Err(missing());
    }
    let real_dir = dir
        .canonicalize()
        .with_context(|| format!("reading the build context {}", dir.display()))?;
    let target = given.canonicalize().map_err(|e| {
        anyhow::anyhow!(
            "{} is a link to nothing ({e}): point it at the Dockerfile",
            given.display()
        )
    })?;
    if !target.is_file() {
        return Err(missing());
    }
    let rel = target.strip_prefix(&real_dir).map_err(|_| {
        anyhow::anyhow!(
            "{} is a link to {}, outside the build context {}: the engine only reads the \
             context, so copy the Dockerfile into it or link to a file inside it",
            given.display(),
            target.display(),
            dir.display()
        )
    })?;
    let rel = rel
        .to_str()
        .with_context(|| format!("the Dockerfile path {} is not UTF-8", rel.display()))?;
    Ok(rel.to_string())
}

/// Reads `dir/.dockerignore`, if any, with msv's own `.msv/` excluded first; nothing is
/// kept for the build yet.
pub fn read_ignore(dir: &Path) -> Result<Matcher> {
    read_ignore_file(&dir.join(".dockerignore"))
}

/// The matcher of the ignore file at `ignore_path` (the context's `.dockerignore`, or a
/// Dockerfile's own `PATH.dockerignore`), keeping `dockerfile` (when it is in the context)
/// and `.dockerignore`.
pub fn matcher_from(ignore_path: &Path, dockerfile: Option<&str>) -> Result<Matcher> {
    let mut matcher = read_ignore_file(ignore_path)?;
    if let Some(dockerfile) = dockerfile {
        matcher.keep(dockerfile.as_bytes());
    }
    matcher.keep(b".dockerignore");
    Ok(matcher)
}

/// The ignore file at `ignore_path` (none there: nothing ignored), with msv's own `.msv/`
/// excluded first.
fn read_ignore_file(ignore_path: &Path) -> Result<Matcher> {
    let mut matcher = match std::fs::read(ignore_path) {
        Ok(bytes) => {
            Matcher::parse(&bytes).with_context(|| format!("reading {}", ignore_path.display()))?
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Matcher::default(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", ignore_path.display())),
    };
    // msv's own state changes on every build and push; sending it would defeat the
    // engine's cache for `COPY . .`.
    matcher.exclude_first(super::record::STATE_DIR);
    Ok(matcher)
}

/// The context of a build: the patterns, with the Dockerfile the engine reads (see
/// [`resolve_dockerfile`]) and `.dockerignore` always sent, and that Dockerfile's path.
pub fn for_build(dir: &Path, dockerfile: &str) -> Result<(Matcher, String)> {
    let dockerfile = resolve_dockerfile(dir, dockerfile)?;
    let mut matcher = read_ignore(dir)?;
    matcher.keep(b".dockerignore");
    matcher.keep(dockerfile.as_bytes());
    Ok((matcher, dockerfile))
}

/// [`for_build`] without the Dockerfile's path.
pub fn matcher_for(dir: &Path, dockerfile: &str) -> Result<Matcher> {
    for_build(dir, dockerfile).map(|(matcher, _)| matcher)
}

/// One entry of the context, in the order the tar gets it.
pub struct Entry<'a> {
    pub path: &'a Path,
    /// Relative to the context root.
    pub rel: &'a Path,
    pub meta: &'a Metadata,
}

/// Walks `dir` as the docker CLI's tar walk does: in byte order of names, each entry
/// decided with what the patterns matched on its parent directory, an excluded directory
/// entered only when an exception names something below it. `visit` gets each entry
/// sent; the count of excluded entries is returned.
pub fn walk(
    dir: &Path,
    matcher: &Matcher,
    mut visit: impl FnMut(&Entry) -> Result<()>,
) -> Result<u64> {
    let mut excluded = 0;
    // What the patterns matched on each directory above the current entry.
    let mut parents: Vec<Vec<bool>> = Vec::new();
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
        parents.truncate(entry.depth() - 1);
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("walk stays under its root");
        let name = rel.as_os_str().as_bytes();
        let is_dir = entry.file_type().is_dir();
        let mut carry = Vec::new();
        let verdict = matcher.decide(
            name,
            parents.last().map(Vec::as_slice),
            is_dir.then_some(&mut carry),
        );
        if is_dir {
            parents.push(carry);
        }
        if verdict.excluded {
            excluded += 1;
            if is_dir && !(matcher.has_exceptions() && matcher.must_descend(name)) {
                walk.skip_current_dir();
            }
            continue;
        }
        let meta = entry
            .path()
            .symlink_metadata()
            .with_context(|| format!("reading {}", entry.path().display()))?;
        visit(&Entry {
            path: entry.path(),
            rel,
            meta: &meta,
        })?;
    }
    Ok(excluded)
}

/// Writes the context of `dir` as a tar into `out`, entries as the docker CLI writes them:
/// owned by 0:0, symbolic links as links, a file with several hard links as one file and
/// tar hard links to it, FIFOs and devices as such; sockets are left out.
pub fn write_tar<W: Write>(dir: &Path, matcher: &Matcher, out: W) -> Result<Summary> {
    let mut builder = tar::Builder::new(out);
    builder.follow_symlinks(false);
    let mut summary = Summary::default();
    // (device, inode) of files with several links, and the name they were first sent as.
    let mut linked: HashMap<(u64, u64), PathBuf> = HashMap::new();
    summary.excluded = walk(dir, matcher, |entry| {
        let Entry { path, rel, meta } = *entry;
        let mut header = Header::new_gnu();
        header.set_metadata_in_mode(meta, HeaderMode::Complete);
        header.set_uid(0);
        header.set_gid(0);
        let _ = header.set_username("");
        let _ = header.set_groupname("");
        let file_type = meta.file_type();
        if file_type.is_socket() {
            return Ok(());
        }
        let adding = || format!("adding {} to the build context", rel.display());
        if !file_type.is_dir() && meta.nlink() > 1 {
            let key = (meta.dev(), meta.ino());
            if let Some(first) = linked.get(&key) {
                header.set_entry_type(EntryType::Link);
                header.set_size(0);
                return builder
                    .append_link(&mut header, rel, first)
                    .with_context(adding);
            }
            linked.insert(key, rel.to_path_buf());
        }
        if file_type.is_dir() {
            builder.append_data(&mut header, rel, io::empty())
        } else if file_type.is_symlink() {
            let target = std::fs::read_link(path)
                .with_context(|| format!("reading the link {}", path.display()))?;
            header.set_entry_type(EntryType::Symlink);
            header.set_size(0);
            builder.append_link(&mut header, rel, target)
        } else if file_type.is_file() {
            let file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
            summary.files += 1;
            summary.bytes += meta.len();
            let exact = Exact {
                inner: file,
                left: meta.len(),
                path: path.to_path_buf(),
            };
            builder.append_data(&mut header, rel, exact)
        } else {
            // FIFOs and devices: a header and no data (the tar crate set their type).
            if file_type.is_char_device() || file_type.is_block_device() {
                let rdev = meta.rdev();
                header.set_device_major(libc::major(rdev))?;
                header.set_device_minor(libc::minor(rdev))?;
            }
            header.set_size(0);
            builder.append_data(&mut header, rel, io::empty())
        }
        .with_context(adding)
    })?;
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
#[path = "context_tests.rs"]
mod tests;
