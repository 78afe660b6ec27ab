//! A followed file's rotated siblings (`mail.log.1`, `mail.log.2.gz`,
//! `maillog-20261122.gz`, `postfix.log.20261123-042020.gz`: the names
//! [`crate::source::discover`] knows), opened compressed or plain by their
//! first bytes as the batch reader opens them, and a generation found among
//! them again by its inode or its fingerprint.

use super::state::{Fingerprint, FP_LEN};
use crate::source::discover::{split_rotation, Rotation};
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// A file's device and inode.
pub(super) type FileId = (u64, u64);

/// A rotated sibling.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Sibling {
    pub path: PathBuf,
    pub rank: Rotation,
}

/// Whether `name` ends as logrotate's compressed rotations do.
fn compressed_name(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    [".gz", ".zst", ".xz", ".bz2"].iter().any(|ext| name.ends_with(ext))
}

/// The rotated siblings of the followed `path`, oldest first; none when
/// its own name is a rotated one (then only the name is followed).
pub(super) fn siblings(path: &Path) -> Vec<Sibling> {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else { return Vec::new() };
    let (base, Rotation::Current) = split_rotation(&name) else { return Vec::new() };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<Sibling> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            match split_rotation(&name) {
                (b, rank) if b == base && rank != Rotation::Current => {
                    Some(Sibling { path: path.with_file_name(e.file_name()), rank })
                }
                _ => None,
            }
        })
        .collect();
    found.sort_by(|a, b| (a.rank, &a.path).cmp(&(b.rank, &b.path)));
    found
}

/// One sibling per rotation: the plain one where a rotation is there
/// twice (`mail.log.2` and `mail.log.2.gz` while gzip runs, the plain one
/// complete), else the first by name.
pub(super) fn one_per_rank(siblings: Vec<Sibling>) -> Vec<Sibling> {
    let mut out: Vec<Sibling> = Vec::new();
    for s in siblings {
        match out.last_mut() {
            Some(last) if last.rank == s.rank => {
                if compressed_name(&last.path) && !compressed_name(&s.path) {
                    *last = s;
                }
            }
            _ => out.push(s),
        }
    }
    out
}

/// The siblings rotated after one of rank `rank` (newer, of the same kind
/// of name: a dated set and a numbered one are two histories), one per
/// rank, oldest first.
pub(super) fn newer_than(siblings: &[Sibling], rank: Rotation) -> Vec<Sibling> {
    let kind = std::mem::discriminant(&rank);
    one_per_rank(
        siblings.iter().filter(|s| s.rank > rank && std::mem::discriminant(&s.rank) == kind).cloned().collect(),
    )
}

/// A file's text, as read.
pub(super) enum Text {
    /// A plain file, read (and sought) through its descriptor.
    Plain(File),
    /// A compressed one, through its decompressor.
    Decoded(Box<dyn Read + Send>),
}

impl Read for Text {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Text::Plain(f) => f.read(buf),
            Text::Decoded(r) => r.read(buf),
        }
    }
}

/// A file opened: its text and identity.
pub(super) struct Opened {
    pub text: Text,
    pub id: FileId,
}

/// Opens `path` as the batch reader does (a regular file; compressed by
/// its magic bytes); the error says why not.
pub(super) fn open(path: &Path) -> Result<Opened, String> {
    let (reader, meta) = crate::source::reader::open_text(path)?;
    let text = match meta.compression {
        "plain" => {
            drop(reader);
            Text::Plain(File::open(path).map_err(|e| format!("cannot open: {e}"))?)
        }
        _ => Text::Decoded(reader),
    };
    let id = match &text {
        Text::Plain(f) => f.metadata().ok().map(|m| id_of(&m)),
        Text::Decoded(_) => std::fs::metadata(path).ok().map(|m| id_of(&m)),
    };
    Ok(Opened { text, id: id.unwrap_or_default() })
}

#[cfg(unix)]
pub(super) fn id_of(m: &std::fs::Metadata) -> FileId {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

#[cfg(not(unix))]
pub(super) fn id_of(_: &std::fs::Metadata) -> FileId {
    (0, 0)
}

/// Up to `len` first bytes of `r`.
pub(super) fn read_head(r: &mut impl Read, len: usize) -> Vec<u8> {
    let mut head = Vec::with_capacity(len);
    let _ = r.take(len as u64).read_to_end(&mut head);
    head
}

/// The fingerprint of the text of `path` (decompressed), up to [`FP_LEN`].
fn head_of(path: &Path) -> Option<Vec<u8>> {
    let mut opened = open(path).ok()?;
    Some(read_head(&mut opened.text, FP_LEN as usize))
}

/// What a generation is known by.
#[derive(Clone, Copy, Debug)]
pub(super) struct Known {
    pub id: FileId,
    pub fp: Fingerprint,
}

/// The sibling that holds the generation `known`, newest first: the same
/// file (inode) beginning as it did, else a file beginning as it did (a
/// compressed or copied rotation of it). A generation seen empty has no
/// fingerprint: only its inode can find it.
pub(super) fn locate<'a>(siblings: &'a [Sibling], known: &Known) -> Option<&'a Sibling> {
    let begins = |s: &Sibling| head_of(&s.path).is_some_and(|h| known.fp.matches(&h));
    let same_file = |s: &&Sibling| std::fs::metadata(&s.path).is_ok_and(|m| id_of(&m) == known.id);
    if let Some(s) = siblings.iter().rev().filter(same_file).find(|s| begins(s)) {
        return Some(s);
    }
    if known.fp.is_empty() {
        return None;
    }
    siblings.iter().rev().find(|s| begins(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(s: &[Sibling]) -> Vec<String> {
        s.iter().map(|s| s.path.file_name().unwrap().to_string_lossy().into_owned()).collect()
    }

    #[test]
    fn siblings_oldest_first_one_per_rotation() {
        let d = tempfile::tempdir().unwrap();
        for n in ["mail.log", "mail.log.1", "mail.log.2", "mail.log.2.gz", "mail.log.10.gz", "mail.err", "maillog.1"] {
            std::fs::write(d.path().join(n), n).unwrap();
        }
        let all = siblings(&d.path().join("mail.log"));
        assert_eq!(names(&all), ["mail.log.10.gz", "mail.log.2", "mail.log.2.gz", "mail.log.1"]);
        assert_eq!(names(&one_per_rank(all.clone())), ["mail.log.10.gz", "mail.log.2", "mail.log.1"]);
        assert_eq!(names(&newer_than(&all, Rotation::Numbered(-10))), ["mail.log.2", "mail.log.1"]);
        assert_eq!(names(&newer_than(&all, Rotation::Numbered(-2))), ["mail.log.1"]);
        assert!(newer_than(&all, Rotation::Dated(20261122000000)).is_empty(), "another kind of name");
        assert!(siblings(&d.path().join("mail.log.1")).is_empty(), "a rotated name has none");
    }

    /// A generation is found by its inode where it was only renamed, and by
    /// its beginning where it was compressed or copied.
    #[test]
    fn a_generation_is_found_by_inode_or_beginning() {
        use std::io::Write;
        let d = tempfile::tempdir().unwrap();
        let text = b"Nov 20 00:00:01 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]\n".repeat(40);
        let other = b"Nov 21 00:00:01 mx1 postfix/smtpd[1]: connect from a[192.0.2.1]\n".repeat(40);
        std::fs::write(d.path().join("mail.log.1"), &other).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).unwrap();
        std::fs::write(d.path().join("mail.log.2.gz"), gz.finish().unwrap()).unwrap();
        let all = siblings(&d.path().join("mail.log"));
        let by_content = Known { id: (0, 0), fp: Fingerprint::of(&text) };
        assert_eq!(
            locate(&all, &by_content).map(|s| names(std::slice::from_ref(s))),
            Some(vec!["mail.log.2.gz".into()])
        );
        let id = id_of(&std::fs::metadata(d.path().join("mail.log.1")).unwrap());
        let by_inode = Known { id, fp: Fingerprint::of(&other[..100]) };
        assert_eq!(locate(&all, &by_inode).unwrap().rank, Rotation::Numbered(-1));
        // An empty generation only by its inode; a wrong beginning not at all.
        assert_eq!(locate(&all, &Known { id, fp: Fingerprint::empty() }).unwrap().rank, Rotation::Numbered(-1));
        assert!(locate(&all, &Known { id: (0, 0), fp: Fingerprint::empty() }).is_none());
        assert!(locate(&all, &Known { id, fp: Fingerprint::of(b"Nov 22") }).is_none());
    }
}
