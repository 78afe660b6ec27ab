//! Finding and reading the input: rotated sets, compressed or plain, files,
//! standard input or the systemd journal. Every line keeps its file and
//! line number.

mod ahead;
pub mod defaults;
pub mod discover;
pub mod fetch;
pub mod framing;
pub mod journal;
pub mod reader;

pub use discover::{resolve, Input, PathProblem};
pub use reader::{Block, Chunk, FileMeta};
