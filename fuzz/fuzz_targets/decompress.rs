//! The readers: one file of arbitrary bytes, opened by its magic bytes
//! (plain, gzip, zstd, xz, bzip2; the seeds carry each magic), read to
//! its end alone and then through the whole ingest.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::io::Read;

mod common;

/// Most decompressed bytes read alone: a small input may be a bomb.
const MAX_TEXT: u64 = 64 << 20;

fuzz_target!(|data: &[u8]| {
    let dir = common::scratch("decompress");
    let path = dir.join("mail.log");
    std::fs::write(&path, data).expect("scratch file");
    if let Ok((r, _meta)) = postsleuth::source::reader::open_text(&path) {
        let mut sink = [0u8; 64 << 10];
        let mut r = r.take(MAX_TEXT);
        while let Ok(n) = r.read(&mut sink) {
            if n == 0 {
                break;
            }
        }
    }
    let _ = postsleuth::source::head::read_head(&path, 4096);
    let _ = postsleuth::ingest::ingest(&common::options(vec![path], true));
});
