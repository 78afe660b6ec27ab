//! Finding and reading the input: rotated sets, compressed or plain, files,
//! standard input or the systemd journal, a look at each file's head
//! before, and copies of one text read once. Every line keeps its file and
//! line number.

mod ahead;
pub mod copies;
pub mod defaults;
pub mod discover;
pub mod fetch;
pub mod framing;
pub mod head;
pub mod journal;
pub mod reader;

pub use discover::{resolve, Input, PathProblem};
pub use reader::{Block, Chunk, FileMeta};
