//! Finding and reading the input: rotated sets, plain or compressed, files
//! or standard input, a look at each file's head before, and copies of one
//! text read once. Every line keeps its file and line number.

pub mod copies;
pub mod discover;
pub mod fetch;
pub mod framing;
pub mod head;
pub mod reader;

pub use discover::{resolve, Input, PathProblem};
pub use reader::{Block, Chunk, FileMeta};
