//! Finding and reading the input: rotated sets, plain or gzip, files or
//! standard input. Every line keeps its file and line number.

mod ahead;
pub mod discover;
pub mod fetch;
pub mod framing;
pub mod reader;

pub use discover::{resolve, Input, PathProblem};
pub use reader::{Block, Chunk, FileMeta};
