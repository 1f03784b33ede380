//! `file:` URLs: mapping a URL to a path confined to `fetch.file_root`, and
//! reading it with the stamp (modification time, size) that lets a cache reuse
//! its stored, parsed copy while the file is unchanged.
//!
//! Confinement compares canonical paths, so neither `..` (including one
//! smuggled in as `%2F`) nor a symlink pointing out of the root gets past it.
//! The check and the read are two system calls apart; a file swapped for a
//! symlink in between is outside this layer's threat model (the root is the
//! operator's own directory).

use std::io;
use std::path::{Component, Path, PathBuf};
use std::time::SystemTime;

use bytes::Bytes;
use tokio::io::AsyncReadExt;
use url::Url;

use super::error::FetchError;
use super::location::Scheme;

/// The directory `file:` URLs are confined to (canonical).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRoot {
    root: PathBuf,
}

/// A path that passed [`FileRoot::confine`]: canonical and inside the root.
/// Only `confine` makes one, so a read can never skip the check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfinedPath {
    url: Url,
    path: PathBuf,
}

/// What identifies one version of a file: a cached copy is reused while both
/// are unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileStamp {
    pub modified: SystemTime,
    pub len: u64,
}

/// A file read in full, with the stamp it had when the read began.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileBody {
    pub body: Bytes,
    pub stamp: FileStamp,
}

impl FileRoot {
    /// The root directory `dir` (which must exist and be a directory).
    pub fn new(dir: &Path) -> Result<FileRoot, FetchError> {
        let bad = |cause: String| FetchError::BadFileRoot {
            path: dir.to_path_buf(),
            cause,
        };
        let root = std::fs::canonicalize(dir).map_err(|e| bad(e.to_string()))?;
        if !root.is_dir() {
            return Err(bad("not a directory".to_string()));
        }
        Ok(FileRoot { root })
    }

    /// The canonical root directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// Maps a `file:` URL to its path, refusing anything outside the root.
    /// A file that does not exist is not an error here (reading it is).
    pub fn confine(&self, url: &Url) -> Result<ConfinedPath, FetchError> {
        if Scheme::of(url)? != Scheme::File {
            return Err(FetchError::UnsupportedScheme {
                url: url.to_string(),
                scheme: url.scheme().to_string(),
            });
        }
        let path = url.to_file_path().map_err(|()| FetchError::InvalidUrl {
            url: url.to_string(),
            cause: "not a local file path".to_string(),
        })?;
        let outside = |path: PathBuf| FetchError::OutsideRoot {
            url: url.to_string(),
            path,
            root: self.root.clone(),
        };
        // `Url` has already removed `..` segments; one left here came from a
        // percent-encoded slash, and has no business in a file URL.
        if path.components().any(|c| c == Component::ParentDir) {
            return Err(outside(path));
        }
        let canonical =
            canonicalize_existing(&path).map_err(|e| FetchError::file(url, path.clone(), &e))?;
        if !canonical.starts_with(&self.root) {
            return Err(outside(canonical));
        }
        Ok(ConfinedPath {
            url: url.clone(),
            path: canonical,
        })
    }
}

impl ConfinedPath {
    /// The URL this path was confined from.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The canonical path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, e: &io::Error) -> FetchError {
        FetchError::file(&self.url, self.path.clone(), e)
    }
}

/// Reads the whole file, refusing one longer than `max` bytes without
/// reading past that. The stamp is taken from the open file before
/// reading, so a file changed during the read gets a stamp that no longer
/// matches: the next use reads it again instead of trusting a torn copy.
pub async fn read(p: &ConfinedPath, max: u64) -> Result<FileBody, FetchError> {
    let mut file = tokio::fs::File::open(&p.path)
        .await
        .map_err(|e| p.error(&e))?;
    let meta = file.metadata().await.map_err(|e| p.error(&e))?;
    let stamp = stamp_of(&meta).map_err(|e| p.error(&e))?;
    if meta.is_dir() {
        return Err(p.error(&io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        )));
    }
    let too_large = || FetchError::TooLarge {
        url: p.url.to_string(),
        limit: max,
    };
    if stamp.len > max {
        return Err(too_large());
    }
    // The length is a capacity hint only; the read goes to end of file (a
    // file that grew meanwhile is still cut at the limit).
    let mut body = Vec::with_capacity(usize::try_from(stamp.len).unwrap_or(0));
    (&mut file)
        .take(max.saturating_add(1))
        .read_to_end(&mut body)
        .await
        .map_err(|e| p.error(&e))?;
    if body.len() as u64 > max {
        return Err(too_large());
    }
    Ok(FileBody {
        body: Bytes::from(body),
        stamp,
    })
}

/// The file's current stamp: one `stat`, no read.
pub async fn stamp(p: &ConfinedPath) -> Result<FileStamp, FetchError> {
    let meta = tokio::fs::metadata(&p.path)
        .await
        .map_err(|e| p.error(&e))?;
    stamp_of(&meta).map_err(|e| p.error(&e))
}

fn stamp_of(meta: &std::fs::Metadata) -> io::Result<FileStamp> {
    Ok(FileStamp {
        modified: meta.modified()?,
        len: meta.len(),
    })
}

/// Canonicalizes a path whose last components may not exist yet: the longest
/// existing prefix is canonicalized (resolving its symlinks) and the rest
/// appended, so a missing file is still placed inside or outside the root.
fn canonicalize_existing(path: &Path) -> io::Result<PathBuf> {
    let mut missing = Vec::new();
    let mut existing = path;
    loop {
        match std::fs::canonicalize(existing) {
            Ok(mut canonical) => {
                canonical.extend(missing.iter().rev());
                return Ok(canonical);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                match (existing.parent(), existing.file_name()) {
                    (Some(parent), Some(name)) => {
                        missing.push(name.to_os_string());
                        existing = parent;
                    }
                    _ => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
}
