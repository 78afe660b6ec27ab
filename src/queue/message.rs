//! One queue file read into what the queue command shows: the envelope
//! (sizes, arrival, sender, named attributes, recipients), the few headers
//! worth showing, and the extracted section, as qmgr and postcat read them.
//!
//! Record groups (Postfix's `rec_type.h`): the envelope up to `M`, the
//! content (`N` lines, `L` fragments of a longer line) up to `X`, the
//! extracted section up to `E`. Only the headers are read of the content:
//! after them, the size record (`C`: content size, data offset) says where
//! `X` is, as qmgr finds it, so a message's body is never read.

use super::record::{Damage, Input, Record, Records};
use crate::time::{Micros, MICROS_PER_SEC};

/// The named attributes kept (`A` records); the others (server address,
/// DSN details, milter state) are not shown.
pub const ATTRIBUTES: [&str; 19] = [
    "create_time",
    "log_ident",
    "rewrite_context",
    "sasl_method",
    "sasl_username",
    "sasl_sender",
    "client_name",
    "reverse_client_name",
    "client_address",
    "client_port",
    "helo_name",
    "protocol_name",
    "log_client_name",
    "log_client_address",
    "log_client_port",
    "log_message_origin",
    "log_helo_name",
    "log_protocol_name",
    "encoding",
];

/// Longest header kept, unfolded (Postfix's own `header_size_limit`
/// default); a longer one is cut there.
const MAX_HEADER: usize = 102_400;

/// The `C` record: fixed-width numbers, fewer in files from older Postfix.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sizes {
    pub content_size: u64,
    pub data_offset: u64,
    pub recipients: u64,
    pub qmgr_flags: u64,
    pub content_length: Option<u64>,
    pub smtputf8: Option<u64>,
}

/// What became of a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// `R`: still to deliver.
    Pending,
    /// `D`: delivered (or bounced): qmgr rewrites the `R` in place.
    Done,
    /// `/`: cancelled (a duplicate, or removed by cleanup).
    Cancelled,
    /// `K`: killed.
    Killed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub address: String,
    /// The `O` record before it: the address as first given.
    pub original: Option<String>,
    pub status: Status,
    /// In the extracted section (from headers, or re-injected) rather than
    /// the envelope.
    pub extracted: bool,
}

/// A queue file, as far as it was read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFile {
    pub sizes: Option<Sizes>,
    /// `T`: arrival, µs since the epoch.
    pub arrival: Option<Micros>,
    /// `S`: empty for the null sender `<>`.
    pub sender: Option<String>,
    /// `F`: the submitting user's full name (local submissions).
    pub full_name: Option<String>,
    /// The kept named attributes, in file order.
    pub attributes: Vec<(String, String)>,
    pub recipients: Vec<Recipient>,
    /// The local submitter's uid, from the first `Received:` header.
    pub uid: Option<u32>,
    pub subject: Option<String>,
    pub from: Option<String>,
    pub message_id: Option<String>,
}

impl QueueFile {
    /// The attribute `name`'s first value.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn pending(&self) -> impl Iterator<Item = &Recipient> {
        self.recipients.iter().filter(|r| r.status == Status::Pending)
    }
}

enum Section {
    Envelope,
    Content,
    Extracted,
}

/// Reads `input` as a queue file.
pub fn read<I: Input>(input: I) -> Result<QueueFile, Damage> {
    if input.is_empty() {
        return Err(Damage::Empty);
    }
    let mut records = Records::new(input);
    let mut q = QueueFile::default();
    let mut section = Section::Envelope;
    let mut original: Option<String> = None;
    let mut headers = Headers::default();
    let mut first = true;
    while let Some(r) = records.next_record()? {
        if first {
            // Queue files start with the size record; maildrop files, which
            // postdrop writes, with the arrival time.
            if r.kind != b'C' && r.kind != b'T' {
                return Err(Damage::NotQueueFile(char::from(r.kind)));
            }
            first = false;
        }
        let data = records.data(&r)?;
        match section {
            Section::Envelope | Section::Extracted => {
                let extracted = matches!(section, Section::Extracted);
                match r.kind {
                    b'C' if !extracted => q.sizes = Some(sizes(data)),
                    b'T' if !extracted => q.arrival = time(data),
                    b'F' => q.full_name = Some(text(data)),
                    b'S' if !extracted => q.sender = Some(text(data)),
                    b'A' => attribute(&mut q, data),
                    b'O' => original = Some(text(data)),
                    b'R' | b'D' | b'/' | b'K' => {
                        let status = match r.kind {
                            b'R' => Status::Pending,
                            b'D' => Status::Done,
                            b'/' => Status::Cancelled,
                            _ => Status::Killed,
                        };
                        q.recipients.push(Recipient {
                            address: text(data),
                            original: original.take(),
                            status,
                            extracted,
                        });
                    }
                    b'M' if !extracted => section = Section::Content,
                    b'E' => return Ok(q),
                    _ => {}
                }
            }
            Section::Content => match r.kind {
                b'L' => headers.fragment(data),
                b'N' => {
                    let ended = headers.line(data, &mut q);
                    if ended {
                        skip_body(&mut records, &q, &r);
                    }
                }
                b'X' => section = Section::Extracted,
                b'E' => return Ok(q),
                _ => {}
            },
        }
    }
    Err(Damage::NoEnd)
}

/// After the headers: on to the extracted section where the size record
/// says it is, if it is there; else the body is read through.
fn skip_body<I: Input>(records: &mut Records<I>, q: &QueueFile, last: &Record) {
    let Some(s) = q.sizes else { return };
    let Some(x) = s.data_offset.checked_add(s.content_size) else { return };
    if x > last.data_at + last.len && records.input.read(x, 1).ok() == Some(&b"X"[..]) {
        records.seek(x);
    }
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

fn sizes(data: &[u8]) -> Sizes {
    let n: Vec<u64> = String::from_utf8_lossy(data).split_ascii_whitespace().map_while(|f| f.parse().ok()).collect();
    let at = |i: usize| n.get(i).copied();
    Sizes {
        content_size: at(0).unwrap_or(0),
        data_offset: at(1).unwrap_or(0),
        recipients: at(2).unwrap_or(0),
        qmgr_flags: at(3).unwrap_or(0),
        content_length: at(4),
        smtputf8: at(5),
    }
}

/// `T`: `seconds microseconds` (older files: seconds only).
fn time(data: &[u8]) -> Option<Micros> {
    let s = std::str::from_utf8(data).ok()?;
    let mut f = s.split_ascii_whitespace();
    let secs: i64 = f.next()?.parse().ok()?;
    let usecs: i64 = f.next().and_then(|u| u.parse().ok()).filter(|u| (0..MICROS_PER_SEC).contains(u)).unwrap_or(0);
    secs.checked_mul(MICROS_PER_SEC)?.checked_add(usecs)
}

fn attribute(q: &mut QueueFile, data: &[u8]) {
    let Some(eq) = data.iter().position(|&b| b == b'=') else { return };
    let name = &data[..eq];
    if let Some(known) = ATTRIBUTES.iter().find(|k| k.as_bytes() == name) {
        q.attributes.push((known.to_string(), text(&data[eq + 1..])));
    }
}

/// The content's header lines, joined from fragments and unfolded.
#[derive(Default)]
struct Headers {
    /// The line being joined from `L` fragments.
    partial: Vec<u8>,
    /// The header being unfolded: its index in [`WANTED`] and value.
    current: Option<(usize, Vec<u8>)>,
    seen_received: bool,
    done: bool,
}

const WANTED: [&str; 4] = ["received", "subject", "from", "message-id"];

impl Headers {
    fn fragment(&mut self, data: &[u8]) {
        if !self.done && self.partial.len() < MAX_HEADER {
            self.partial.extend_from_slice(&data[..data.len().min(MAX_HEADER - self.partial.len())]);
        }
    }

    /// A line ends; true when it ended the headers (a blank line, or a line
    /// that is no header).
    fn line(&mut self, data: &[u8], q: &mut QueueFile) -> bool {
        if self.done {
            return false;
        }
        self.fragment(data);
        let line = std::mem::take(&mut self.partial);
        if line.first().is_some_and(|&c| c == b' ' || c == b'\t') {
            if let Some((_, value)) = &mut self.current {
                let room = MAX_HEADER.saturating_sub(value.len());
                value.extend_from_slice(&line[..line.len().min(room)]);
            }
            return false;
        }
        self.finish(q);
        let name_end = line.iter().position(|&c| c == b':');
        let is_header = name_end.is_some_and(|n| n > 0 && line[..n].iter().all(|&c| c.is_ascii_graphic()));
        let Some(n) = name_end.filter(|_| is_header) else {
            self.done = true;
            return true;
        };
        let name = String::from_utf8_lossy(&line[..n]).to_ascii_lowercase();
        if let Some(i) = WANTED.iter().position(|w| *w == name) {
            let value = line[n + 1..].strip_prefix(b" ").unwrap_or(&line[n + 1..]);
            self.current = Some((i, value.to_vec()));
        }
        false
    }

    fn finish(&mut self, q: &mut QueueFile) {
        let Some((i, value)) = self.current.take() else { return };
        let value = text(&value);
        match WANTED[i] {
            "received" if !self.seen_received => {
                self.seen_received = true;
                q.uid = pickup_uid(&value);
            }
            "subject" if q.subject.is_none() => q.subject = Some(value),
            "from" if q.from.is_none() => q.from = Some(value),
            "message-id" if q.message_id.is_none() => q.message_id = Some(value),
            _ => {}
        }
    }
}

/// `by HOST (Postfix, from userid N)`: the uid pickup found on the file.
fn pickup_uid(received: &str) -> Option<u32> {
    let at = received.find("(Postfix, from userid ")? + "(Postfix, from userid ".len();
    let digits: &str = &received[at..];
    let end = digits.find(')')?;
    digits[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::super::record::tests::rec;
    use super::*;

    fn file(records: &[(u8, &[u8])]) -> Vec<u8> {
        records.iter().flat_map(|(k, d)| rec(*k, d)).collect()
    }

    #[test]
    fn reads_envelope_headers_and_extracted() {
        let f = file(&[
            (b'C', b"             10             150               1               0             10               0"),
            (b'T', b"1796420765 831369"),
            (b'A', b"sasl_username=alice@example.test"),
            (b'A', b"server_port=587"),
            (b'S', b"alice@example.test"),
            (b'O', b"a@x.example"),
            (b'R', b"a@x.example"),
            (b'D', b"b@x.example"),
            (b'M', b""),
            (b'N', b"Received: by mx1.example.test (Postfix, from userid 33)"),
            (b'N', b"\tid 123; Fri,  4 Dec 2026"),
            (b'L', b"Subject: very "),
            (b'L', b"long"),
            (b'N', b" line"),
            (b'N', b" folded"),
            (b'N', b""),
            (b'N', b"Subject: in the body"),
            (b'X', b""),
            (b'R', b"c@y.example"),
            (b'E', b""),
        ]);
        let q = read(&f[..]).unwrap();
        assert_eq!(q.arrival, Some(1_796_420_765_831_369));
        assert_eq!(q.sizes.unwrap().recipients, 1);
        assert_eq!(q.attributes, vec![("sasl_username".to_string(), "alice@example.test".to_string())]);
        assert_eq!(q.uid, Some(33));
        assert_eq!(q.subject.as_deref(), Some("very long line folded"));
        let r: Vec<_> = q.recipients.iter().map(|r| (r.address.as_str(), r.status, r.extracted)).collect();
        assert_eq!(
            r,
            [
                ("a@x.example", Status::Pending, false),
                ("b@x.example", Status::Done, false),
                ("c@y.example", Status::Pending, true)
            ]
        );
        assert_eq!(q.recipients[0].original.as_deref(), Some("a@x.example"));
    }

    #[test]
    fn damage() {
        assert_eq!(read(&b""[..]), Err(Damage::Empty));
        assert_eq!(read(&file(&[(b'S', b"x")])[..]), Err(Damage::NotQueueFile('S')));
        assert_eq!(read(&file(&[(b'T', b"1 0"), (b'S', b"x")])[..]), Err(Damage::NoEnd));
    }
}
