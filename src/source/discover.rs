//! Which files to read, in which order: a directory or base name expands to
//! its rotated set (`mail.log.3.gz … mail.log.1, mail.log`), oldest first.
//!
//! Rotation schemes: logrotate numbers (`mail.log.1`, `mail.log.2.gz`; higher
//! is older), dateext (`maillog-20261122.gz`), and `postfix logrotate`
//! (`postfix.log.20261123-042020.gz`). Names with a date sort by it. A
//! rotation may end in `.gz`, `.zst`, `.xz` or `.bz2` (logrotate's
//! compressext); the reader tells the format by content, not by this name.

use std::path::{Path, PathBuf};

/// One input to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    Stdin,
    /// The systemd journal, through journalctl ([`super::journal`]).
    Journal(super::journal::Query),
}

impl Input {
    /// Named by the same bytes.
    fn same_name(&self, other: &Input) -> bool {
        match (self, other) {
            (Input::File(a), Input::File(b)) => a.as_os_str() == b.as_os_str(),
            (a, b) => a == b,
        }
    }

    /// The name used in messages and evidence.
    pub fn display(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Stdin => "<stdin>".to_string(),
            Input::Journal(q) => q.display(),
        }
    }

    /// Whether the input cannot be read again to quote its lines: its
    /// lines are kept while it is read.
    pub fn read_once(&self) -> bool {
        matches!(self, Input::Stdin | Input::Journal(_))
    }
}

/// Families of log files a directory may hold, in the order they are tried.
/// `mail.err`/`mail.warn` repeat lines of `mail.log` and are left out.
pub const KNOWN_BASES: [&str; 4] = ["mail.log", "maillog", "postfix.log", "mail"];

/// Endings of compressed rotations.
const COMPRESSED_EXTS: [&str; 4] = [".gz", ".zst", ".xz", ".bz2"];

/// Where a name sits in its rotated set: sorts oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rotation {
    /// dateext or `postfix logrotate`: YYYYMMDD[HHMMSS].
    Dated(u64),
    /// logrotate's number, negated so that higher (older) sorts first.
    Numbered(i64),
    Current,
}

/// Splits a file name into its base and rotation: `mail.log.2.gz` →
/// (`mail.log`, Numbered(-2)).
pub fn split_rotation(name: &str) -> (&str, Rotation) {
    let stem = COMPRESSED_EXTS.iter().find_map(|ext| name.strip_suffix(ext)).unwrap_or(name);
    if let Some((base, n)) = stem.rsplit_once('.') {
        // Up to seven digits: `rotate 10000` exists; eight and more are dates.
        if !n.is_empty() && n.len() <= 7 && n.bytes().all(|c| c.is_ascii_digit()) {
            return (base, Rotation::Numbered(-n.parse::<i64>().unwrap_or(0)));
        }
        if let Some(d) = date_suffix(n) {
            return (base, Rotation::Dated(d));
        }
    }
    if let Some((base, d)) = stem.rsplit_once('-') {
        if let Some(d) = date_suffix(d) {
            return (base, Rotation::Dated(d));
        }
    }
    if stem.len() != name.len() {
        return (stem, Rotation::Numbered(0));
    }
    (name, Rotation::Current)
}

/// `20261122`, `2026112204`, `20261123-042020` → a sortable number.
fn date_suffix(s: &str) -> Option<u64> {
    let digits: String = s.chars().filter(|c| *c != '-').collect();
    let ok = (8..=14).contains(&digits.len()) && digits.bytes().all(|c| c.is_ascii_digit()) && s.starts_with("20");
    let padded = format!("{digits:0<14}");
    if ok {
        padded.parse().ok()
    } else {
        None
    }
}

/// Problems that stop one path, not the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathProblem {
    pub path: String,
    pub message: String,
}

/// Expands the user's paths into inputs, oldest first within each rotated
/// set. `exact` reads only the named files. With no path, nothing: the
/// default sources are [`super::defaults`]'s.
pub fn resolve(paths: &[PathBuf], exact: bool) -> (Vec<Input>, Vec<PathProblem>) {
    let mut inputs: Vec<Input> = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match expand(p, exact) {
            Ok(found) => {
                for f in found {
                    // The same name twice (a directory and a file in it)
                    // goes silently; another name for the same file (`a/./b`,
                    // which `Path` equality takes for `a/b`) is said by
                    // [`dedupe`].
                    if !inputs.iter().any(|i| i.same_name(&f)) {
                        inputs.push(f);
                    }
                }
            }
            Err(e) => problems.push(e),
        }
    }
    (inputs, problems)
}

/// One file named twice (`x` and `./x`, a symlink and its target, a
/// directory and a file in it): the second name is dropped, and said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duplicate {
    pub dropped: String,
    pub kept: String,
    /// What happened to the dropped one, in words.
    pub words: String,
}

impl Duplicate {
    /// Another name of the file named `kept`.
    fn name_of(dropped: String, kept: String) -> Duplicate {
        let words = format!("the same file as {}; read once", crate::text::cell(&kept, 200));
        Duplicate { dropped, kept, words }
    }
}

/// `inputs` without the files that another input already names (same
/// device and inode), in order; standard input is kept.
pub fn dedupe(inputs: Vec<Input>) -> (Vec<Input>, Vec<Duplicate>) {
    let mut seen: Vec<((u64, u64), String)> = Vec::new();
    let (mut kept, mut dropped) = (Vec::new(), Vec::new());
    for input in inputs {
        match identity(&input) {
            Some(id) => match seen.iter().find(|(s, _)| *s == id) {
                Some((_, first)) => dropped.push(Duplicate::name_of(input.display(), first.clone())),
                None => {
                    seen.push((id, input.display()));
                    kept.push(input);
                }
            },
            None => kept.push(input),
        }
    }
    (kept, dropped)
}

/// The file's device and inode, following symlinks.
#[cfg(unix)]
fn identity(input: &Input) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let Input::File(p) = input else { return None };
    std::fs::metadata(p).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn identity(_: &Input) -> Option<(u64, u64)> {
    None
}

fn problem(path: &Path, message: impl Into<String>) -> PathProblem {
    PathProblem { path: path.display().to_string(), message: message.into() }
}

/// The inputs `p` names: a directory's rotated sets, a file with its
/// rotations (unless `exact`), `-` for standard input.
pub(super) fn expand(p: &Path, exact: bool) -> Result<Vec<Input>, PathProblem> {
    if p.as_os_str() == "-" {
        return Ok(vec![Input::Stdin]);
    }
    match std::fs::metadata(p) {
        Ok(md) if md.is_dir() => expand_dir(p),
        Ok(_) if exact => Ok(vec![Input::File(p.to_path_buf())]),
        Ok(_) => {
            // A name that is not UTF-8 is matched by its lossy form; the
            // path read stays the real one.
            let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
            let me = || vec![Input::File(p.to_path_buf())];
            match split_rotation(&name) {
                (base, Rotation::Current) => match family(p.parent(), base) {
                    Ok(found) if !found.is_empty() => Ok(found),
                    _ => Ok(me()),
                },
                _ => Ok(me()),
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A base name whose current file is gone may still have rotations.
            let name = p.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
            match family(p.parent(), &name) {
                Ok(found) if !exact && !found.is_empty() => Ok(found),
                _ => Err(problem(p, "no such file or directory")),
            }
        }
        Err(e) => Err(problem(p, super::reader::io_reason(&e))),
    }
}

/// All files in `dir` whose base is `base`, oldest first.
/// A bare name (no directory) stays bare, as the user typed it: `mail.log`,
/// not `./mail.log`.
fn family(dir: Option<&Path>, base: &str) -> Result<Vec<Input>, PathProblem> {
    let (dir, bare) = match dir {
        Some(d) if !d.as_os_str().is_empty() => (d, false),
        _ => (Path::new("."), true),
    };
    let mut members: Vec<(Rotation, PathBuf)> = list_dir(dir)?
        .into_iter()
        .filter_map(|(name, path)| {
            let (b, rot) = split_rotation(&name);
            let bare_name = || path.file_name().map_or_else(|| path.clone(), PathBuf::from);
            (b == base).then(|| (rot, if bare { bare_name() } else { path.clone() }))
        })
        .collect();
    members.sort();
    Ok(members.into_iter().map(|(_, p)| Input::File(p)).collect())
}

fn expand_dir(dir: &Path) -> Result<Vec<Input>, PathProblem> {
    let names = list_dir(dir)?;
    let mut out = Vec::new();
    for base in KNOWN_BASES {
        if names.iter().any(|(n, _)| split_rotation(n).0 == base) {
            out.extend(family(Some(dir), base)?);
        }
    }
    if out.is_empty() {
        return Err(problem(
            dir,
            format!(
                "no {} files in this directory; name the log files instead",
                KNOWN_BASES.map(|b| format!("{b}*")).join(", ")
            ),
        ));
    }
    Ok(out)
}

/// Files in a directory, by name (sorted, for a stable order). Names that
/// are not UTF-8 are kept, matched by their lossy form.
fn list_dir(dir: &Path) -> Result<Vec<(String, PathBuf)>, PathProblem> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| problem(dir, format!("cannot list the folder: {}", super::reader::io_reason(&e))))?;
    let mut out: Vec<(String, PathBuf)> = rd
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().map(|t| !t.is_dir()).unwrap_or(false))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_names() {
        assert_eq!(split_rotation("mail.log"), ("mail.log", Rotation::Current));
        assert_eq!(split_rotation("mail.log.1"), ("mail.log", Rotation::Numbered(-1)));
        assert_eq!(split_rotation("mail.log.12.gz"), ("mail.log", Rotation::Numbered(-12)));
        assert_eq!(split_rotation("maillog-20261122.gz"), ("maillog", Rotation::Dated(20261122000000)));
        assert_eq!(split_rotation("maillog-20261122"), ("maillog", Rotation::Dated(20261122000000)));
        assert_eq!(split_rotation("postfix.log.20261123-042020.gz"), ("postfix.log", Rotation::Dated(20261123042020)));
        assert_eq!(split_rotation("mail.err"), ("mail.err", Rotation::Current));
        assert_eq!(split_rotation("mail.log.2.zst"), ("mail.log", Rotation::Numbered(-2)));
        assert_eq!(split_rotation("mail.log.2.xz"), ("mail.log", Rotation::Numbered(-2)));
        assert_eq!(split_rotation("mail.log.3.bz2"), ("mail.log", Rotation::Numbered(-3)));
        assert_eq!(split_rotation("maillog-20261122.xz"), ("maillog", Rotation::Dated(20261122000000)));
        assert_eq!(split_rotation("postfix.log.20261123-042020.bz2"), ("postfix.log", Rotation::Dated(20261123042020)));
        assert_eq!(split_rotation("maillog-20261121.zst"), ("maillog", Rotation::Dated(20261121000000)));
        // Rotations numbered 10000 and more were left out silently.
        assert_eq!(split_rotation("mail.log.10000.gz"), ("mail.log", Rotation::Numbered(-10000)));
        assert_eq!(split_rotation("mail.log.1234567"), ("mail.log", Rotation::Numbered(-1234567)));
    }

    #[test]
    fn directory_expands_oldest_first() {
        let d = tempfile::tempdir().unwrap();
        for n in ["mail.log", "mail.log.1", "mail.log.2.gz", "mail.log.10.gz", "mail.err", "README.md"] {
            std::fs::write(d.path().join(n), "").unwrap();
        }
        let (inputs, problems) = resolve(&[d.path().to_path_buf()], false);
        assert!(problems.is_empty());
        let names: Vec<String> = inputs
            .iter()
            .map(|i| match i {
                Input::File(p) => p.file_name().unwrap().to_string_lossy().into_owned(),
                Input::Stdin | Input::Journal(_) => "-".into(),
            })
            .collect();
        assert_eq!(names, ["mail.log.10.gz", "mail.log.2.gz", "mail.log.1", "mail.log"]);
        // The base name expands too; a rotated name or `exact` does not.
        assert_eq!(resolve(&[d.path().join("mail.log")], false).0.len(), 4);
        assert_eq!(resolve(&[d.path().join("mail.log")], true).0.len(), 1);
        assert_eq!(resolve(&[d.path().join("mail.log.1")], false).0.len(), 1);
    }

    #[test]
    fn missing_path_is_a_problem_not_a_stop() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("maillog"), "").unwrap();
        let (inputs, problems) = resolve(&[d.path().join("nope.log"), d.path().join("maillog")], false);
        assert_eq!(inputs.len(), 1);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("no such file"));
    }

    /// A name that is not UTF-8 was dropped: "nothing to read: no input",
    /// without naming it.
    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_are_read() {
        use std::os::unix::ffi::OsStrExt;
        let d = tempfile::tempdir().unwrap();
        let odd = d.path().join(std::ffi::OsStr::from_bytes(b"mail\xff.log"));
        std::fs::write(&odd, "").unwrap();
        std::fs::write(d.path().join(std::ffi::OsStr::from_bytes(b"mail\xff.log.1")), "").unwrap();
        let (inputs, problems) = resolve(std::slice::from_ref(&odd), false);
        assert!(problems.is_empty());
        assert_eq!(inputs.len(), 2);
        assert_eq!(inputs[1], Input::File(odd.clone()));
        let (inputs, _) = resolve(std::slice::from_ref(&odd), true);
        assert_eq!(inputs, [Input::File(odd)]);
    }
}
