//! The whole ingest (discovery, reading, framing, envelope, events,
//! correlation, ordering across files, the frames) on arbitrary bytes split into one
//! to three files of a rotated set. The first byte: how many files, and
//! whether the siblings are found (`mail.log` named) or all named
//! exactly; the next two: where the bytes are cut.
#![no_main]
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let Some((&shape, rest)) = data.split_first() else { return };
    let (cuts, body) = rest.split_at(rest.len().min(2));
    let files = 1 + usize::from(shape % 3);
    let mut at: Vec<usize> = cuts.iter().map(|&c| usize::from(c) * body.len() / 256).take(files - 1).collect();
    at.sort_unstable();
    let mut parts = Vec::with_capacity(files);
    let mut start = 0;
    for end in at.into_iter().chain([body.len()]) {
        parts.push(&body[start..end.max(start)]);
        start = end.max(start);
    }
    let dir = common::scratch("ingest");
    // Oldest last, as logrotate numbers them.
    let names = ["mail.log", "mail.log.1", "mail.log.2"];
    let mut paths = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let path = dir.join(name);
        match parts.get(i) {
            Some(part) => {
                std::fs::write(&path, part).expect("scratch file");
                paths.push(path);
            }
            // The previous input's, not this one's.
            None => {
                let _ = std::fs::remove_file(&path);
            }
        }
    }
    let find_siblings = shape & 0x80 != 0;
    let paths = if find_siblings { vec![paths[0].clone()] } else { paths };
    let Ok(set) = postsleuth::ingest::ingest(&common::options(paths, !find_siblings)) else { return };
    // Into the frames every analysis starts from: a record the correlator
    // lets through must fit the schema.
    use postsleuth::frame::{self, Detail};
    frame::messages(&set, Detail::All).expect("messages frame");
    frame::deliveries(&set, Detail::All).expect("deliveries frame");
    frame::auth(&set, Detail::All).expect("auth frame");
    frame::rejects(&set, Detail::All).expect("rejects frame");
    frame::sessions(&set).expect("sessions frame");
});
