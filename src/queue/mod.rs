//! The Postfix queue itself, read natively and strictly read-only: who
//! queued what (SASL account, local uid, client), to whom, since when, and
//! why it is still there. No `postcat`, no Postfix library, no lock: files
//! are opened for reading only, and files qmgr moves meanwhile are skipped
//! and counted.
//!
//! ```text
//! record   the record format: type, base-128 length, data; pointers, padding
//! file     a queue file read on demand (the body is never read)
//! message  records → QueueFile: envelope, headers, extracted section
//! id       queue IDs, short and long (a long one holds its file's time)
//! logs     defer/ and bounce/ logs: why each recipient waits
//! spool    the queues walked, hashed directories to any depth
//! select   the command's filters
//! tally    rankings and qshape's age buckets
//! ```

pub mod file;
pub mod id;
pub mod logs;
pub mod message;
pub mod record;
pub mod select;
pub mod spool;
pub mod tally;

pub use id::QueueId;
pub use message::QueueFile;
pub use spool::{scan, Queued, Scan, Skip, SpoolError, QUEUES};
