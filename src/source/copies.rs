//! Inputs whose text is the same: `mail.log` beside a compressed copy of
//! itself, `mail.log.1` and `mail.log.1.gz` after an interrupted logrotate.
//! Each would be counted twice; one is read. Files are first told apart by
//! the fingerprint of their head, and only those alike there are read whole
//! to confirm it, so that a file which merely starts like another (a longer
//! later copy, a copytruncate race) is kept: its lines read twice are
//! dropped one by one while reading (`ingest::sequence`).

use super::head::{read_head, same_text, Head, HEAD};
use super::Input;

/// One input dropped as a copy of another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Copied {
    pub dropped: usize,
    pub kept: usize,
}

/// The inputs (by index) that are copies of another, and the one kept for
/// each: the plain one when one of them is plain (reading it costs least),
/// else the first named. `heads[i]` is the small head of `inputs[i]`
/// (`None` for standard input, or a file that could not be opened).
pub fn copies(inputs: &[Input], heads: &[Option<Head>]) -> Vec<Copied> {
    let file = |i: usize| match inputs.get(i) {
        Some(Input::File(p)) => Some(p),
        _ => None,
    };
    let print = |i: usize| file(i).and_then(|p| read_head(p, HEAD)).and_then(|h| h.fingerprint());
    let same = |i: usize, j: usize| match (file(i), file(j)) {
        (Some(a), Some(b)) => same_text(a, b),
        _ => false,
    };
    copies_by(heads, print, same)
}

/// [`copies`], with `print(i)` the fingerprint of input `i`'s [`HEAD`]
/// and `same(i, j)` the comparison of two whole texts: each asked only of
/// the inputs alike so far.
fn copies_by(
    heads: &[Option<Head>],
    print: impl Fn(usize) -> Option<u64>,
    same: impl Fn(usize, usize) -> bool,
) -> Vec<Copied> {
    let small: Vec<Option<u64>> = heads.iter().map(|h| h.as_ref().and_then(Head::fingerprint)).collect();
    let alike = |i: usize| small[i].is_some() && small.iter().enumerate().any(|(j, s)| j != i && *s == small[i]);
    let prints: Vec<Option<u64>> = (0..heads.len()).map(|i| if alike(i) { print(i) } else { None }).collect();
    let plain = |i: usize| heads.get(i).and_then(Option::as_ref).is_some_and(|h| h.compression == "plain");
    // Groups of inputs with the same text, each in named order.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, p) in prints.iter().enumerate() {
        let Some(p) = p else { continue };
        match groups.iter_mut().find(|g| prints[g[0]] == Some(*p) && same(g[0], i)) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let mut out = Vec::new();
    for g in groups.into_iter().filter(|g| g.len() > 1) {
        let kept = g.iter().copied().find(|&i| plain(i)).unwrap_or(g[0]);
        out.extend(g.into_iter().filter(|&i| i != kept).map(|dropped| Copied { dropped, kept }));
    }
    out.sort_by_key(|c| c.dropped);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str, compression: &'static str) -> Option<Head> {
        Some(Head { bytes: text.as_bytes().to_vec(), whole: true, compression, ..Head::default() })
    }

    /// The plain one is kept whatever the order; a file alike only in its
    /// head (the comparison of whole texts says no) is kept, and so are
    /// empty files and standard input. Only files alike in their small
    /// head are fingerprinted, and only those alike there compared whole.
    #[test]
    fn copies_keep_the_plain_one_and_only_true_copies_go() {
        // a.gz, b, a, c, e1, e2, a.xz, other
        let mut heads = vec![
            head("x\n", "gzip"),
            head("x\n", "plain"),
            head("x\n", "plain"),
            head("x\n", "plain"),
            head("", "plain"),
            head("", "plain"),
            head("x\n", "xz"),
            head("y\n", "plain"),
        ];
        let asked = std::cell::RefCell::new(Vec::new());
        let print = |i: usize| {
            asked.borrow_mut().push(i);
            Some(1)
        };
        // "c" (3) shares the head of the others but not its whole text.
        let same = |i: usize, j: usize| i != 3 && j != 3;
        let got = copies_by(&heads, print, same);
        assert_eq!(
            got,
            [Copied { dropped: 0, kept: 1 }, Copied { dropped: 2, kept: 1 }, Copied { dropped: 6, kept: 1 }],
            "b is the first plain one"
        );
        assert_eq!(*asked.borrow(), [0, 1, 2, 3, 6], "empty and unlike files are not fingerprinted");
        // Fingerprints that differ leave the files alone, unread whole.
        let got = copies_by(&heads, |i| Some(i as u64), |i, j| panic!("compared {i} and {j}"));
        assert_eq!(got, []);
        // No plain one: the first named is kept.
        heads[1] = None;
        heads[2] = head("x\n", "bzip2");
        let got = copies_by(&heads, |_| Some(1), same);
        assert_eq!(got, [Copied { dropped: 2, kept: 0 }, Copied { dropped: 6, kept: 0 }]);
        // Standard input has no head: never compared.
        assert!(copies_by(&[None, head("x\n", "plain")], |_| Some(1), |_, _| true).is_empty());
    }
}
