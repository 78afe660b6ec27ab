//! What a follower keeps across restarts, as stable JSON: for a file, the
//! generation being read (its identity, fingerprint, position and line
//! number) and the ones before it; for the journal, the cursor.
//!
//! A generation is told by its first bytes, hashed ([`Fingerprint`]): the
//! inode alone cannot say it, since a file renamed and compressed gets a
//! new one, a copy (`copytruncate`) has another, and a deleted file's inode
//! may be given to the next file created.

use serde::{Deserialize, Serialize};

/// The version of the state's shape; a state of another is refused.
pub const VERSION: u32 = 1;

/// Bytes of a generation's beginning its fingerprint covers, at most:
/// several log lines, whose timestamps and queue IDs make two
/// generations' beginnings differ.
pub const FP_LEN: u32 = 1024;

/// A follower's state, tagged by its source.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum FollowState {
    File(FileState),
    Journal(JournalState),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileState {
    pub version: u32,
    /// The name followed (lossy UTF-8): a state resumes only the same name.
    pub path: String,
    /// The generation whose lines were read last; `None` when none was
    /// opened yet (the file had not appeared).
    pub current: Option<GenState>,
    /// Generations before it, oldest first (the latest few), to name their
    /// inputs after a restart.
    pub earlier: Vec<GenState>,
    /// The input index the next generation gets.
    pub next_input: u32,
}

/// One generation of a followed file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenState {
    pub input: u32,
    /// Lines read (returned, or skipped as too long) in this generation.
    pub line: u64,
    /// Bytes of text after the last of them (decompressed, for a file read
    /// compressed).
    pub offset: u64,
    /// Device and inode of the file it was read from then.
    pub dev: u64,
    pub ino: u64,
    pub fingerprint: Fingerprint,
    /// The name it was read under, for messages when it cannot be found.
    pub name: String,
}

/// A hash of a generation's first `len` bytes of text (up to [`FP_LEN`];
/// fewer while it is shorter). FNV-1a, 64 bits: a hash whose value no crate
/// version can change, since states outlive builds, and which goes on from
/// its value as the generation grows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub len: u32,
    pub fnv1a: u64,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

impl Fingerprint {
    /// The fingerprint of no bytes.
    pub fn empty() -> Fingerprint {
        Fingerprint { len: 0, fnv1a: FNV_OFFSET }
    }

    /// The fingerprint of the first [`FP_LEN`] bytes of `head` at most.
    pub fn of(head: &[u8]) -> Fingerprint {
        let mut fp = Fingerprint::empty();
        fp.extend(0, head);
        fp
    }

    /// Goes on with `bytes`, which start at offset `at` of the text: the
    /// part of them past what is covered, up to [`FP_LEN`]. Bytes that
    /// leave a gap after what is covered are not taken.
    pub fn extend(&mut self, at: u64, bytes: &[u8]) {
        let len = u64::from(self.len);
        if len >= u64::from(FP_LEN) || at > len || at + bytes.len() as u64 <= len {
            return;
        }
        let from = (len - at) as usize;
        let to = bytes.len().min((u64::from(FP_LEN) - at) as usize);
        for &b in &bytes[from..to] {
            self.fnv1a = (self.fnv1a ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
        self.len += (to - from) as u32;
    }

    /// Whether nothing is covered: the generation was empty when seen.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether `head` (a text's first bytes, at least `len` of them when it
    /// is that long) begins as the generation did.
    pub fn matches(&self, head: &[u8]) -> bool {
        head.len() >= self.len as usize && Fingerprint::of(&head[..self.len as usize]) == *self
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalState {
    pub version: u32,
    /// The `__CURSOR` of the last entry read that had one.
    pub cursor: Option<String>,
    /// Lines read after that entry (entries without a readable cursor:
    /// lines too long to keep), skipped when resuming after the cursor.
    pub after_cursor: u64,
    /// Lines read in all.
    pub line: u64,
    /// Where following began when no entry has been read yet (µs since
    /// the epoch): a restart asks journalctl from there.
    pub since: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FNV-1a's published test values: the hash may never change, or old
    /// states would no longer find their files.
    #[test]
    fn the_hash_is_fnv1a_64() {
        assert_eq!(Fingerprint::of(b"").fnv1a, 0xcbf2_9ce4_8422_2325);
        assert_eq!(Fingerprint::of(b"a").fnv1a, 0xaf63_dc4c_8601_ec8c);
        assert_eq!(Fingerprint::of(b"foobar").fnv1a, 0x8594_4171_f739_67e8);
    }

    #[test]
    fn extending_in_pieces_is_hashing_at_once() {
        let text: Vec<u8> = (0..3000u32).map(|i| (i * 7 % 251) as u8).collect();
        let whole = Fingerprint::of(&text);
        assert_eq!(whole.len, FP_LEN);
        for step in [1, 7, 100, 1023, 1024, 1025, 4096] {
            let mut fp = Fingerprint::empty();
            let mut at = 0;
            for piece in text.chunks(step) {
                fp.extend(at, piece);
                at += piece.len() as u64;
            }
            assert_eq!(fp, whole, "pieces of {step}");
        }
        // Bytes already covered are not taken twice; a gap is not bridged.
        let mut fp = Fingerprint::of(&text[..10]);
        fp.extend(5, &text[5..20]);
        assert_eq!(fp, Fingerprint::of(&text[..20]));
        fp.extend(30, &text[30..40]);
        assert_eq!(fp, Fingerprint::of(&text[..20]));
    }

    #[test]
    fn a_head_matches_only_its_own_beginning() {
        let fp = Fingerprint::of(b"Nov 20 00:00:01 mx1 postfix/smtpd[1]: connect");
        assert!(fp.matches(b"Nov 20 00:00:01 mx1 postfix/smtpd[1]: connect from x\n"));
        assert!(!fp.matches(b"Nov 21 00:00:01 mx1 postfix/smtpd[1]: connect from x\n"));
        assert!(!fp.matches(b"Nov 20 00:00:01"), "shorter than what it covers");
        assert!(Fingerprint::empty().matches(b"anything"));
        assert!(Fingerprint::empty().is_empty());
    }

    /// The JSON is what a state file holds: its field names are a promise.
    #[test]
    fn states_are_stable_json() {
        let state = FollowState::File(FileState {
            version: VERSION,
            path: "/var/log/mail.log".into(),
            current: Some(GenState {
                input: 2,
                line: 10,
                offset: 1500,
                dev: 2049,
                ino: 77,
                fingerprint: Fingerprint { len: 1024, fnv1a: 42 },
                name: "/var/log/mail.log".into(),
            }),
            earlier: vec![],
            next_input: 3,
        });
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(
            json,
            r#"{"source":"file","version":1,"path":"/var/log/mail.log","current":{"input":2,"line":10,"offset":1500,"dev":2049,"ino":77,"fingerprint":{"len":1024,"fnv1a":42},"name":"/var/log/mail.log"},"earlier":[],"next_input":3}"#
        );
        assert_eq!(serde_json::from_str::<FollowState>(&json).unwrap(), state);
        let journal = FollowState::Journal(JournalState {
            version: VERSION,
            cursor: Some("s=1;i=2".into()),
            after_cursor: 0,
            line: 5,
            since: None,
        });
        let json = serde_json::to_string(&journal).unwrap();
        assert_eq!(
            json,
            r#"{"source":"journal","version":1,"cursor":"s=1;i=2","after_cursor":0,"line":5,"since":null}"#
        );
        assert_eq!(serde_json::from_str::<FollowState>(&json).unwrap(), journal);
    }
}
