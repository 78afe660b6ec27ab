//! Finding and reading the input: rotated sets, compressed or plain, files,
//! standard input or the systemd journal, a look at each file's head
//! before, and copies of one text read once; or following a file or the
//! journal live ([`follow`]). Every line keeps its file and
//! line number.

mod ahead;
pub mod copies;
pub mod defaults;
pub mod discover;
pub mod fetch;
pub mod follow;
pub mod framing;
pub mod head;
pub mod journal;
pub mod reader;

pub use discover::{resolve, Input, PathProblem};
pub use reader::{Block, Chunk, FileMeta};

/// Gzip of `text`, for the tests of reading.
#[cfg(test)]
pub(crate) fn gzip(text: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = gz.write_all(text);
    gz.finish().unwrap_or_default()
}
