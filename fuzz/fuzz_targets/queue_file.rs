//! The queue-file reader on arbitrary bytes: records, pointers, sizes,
//! headers, recipients; read from memory and from a file on demand, which
//! must agree. Also the other spool texts: defer/bounce logs, queue IDs,
//! `--client` networks.
#![no_main]
use libfuzzer_sys::fuzz_target;
use postsleuth::queue::{file::Window, logs, message, select::Net, QueueId};

mod common;

fuzz_target!(|data: &[u8]| {
    let from_memory = message::read(data);
    if let Ok(q) = &from_memory {
        let _ = q.attribute("client_address");
        let _ = q.pending().count();
    }
    let dir = common::scratch("queue");
    let path = dir.join("A1B2C3D4E5");
    std::fs::write(&path, data).expect("scratch file");
    let f = std::fs::File::open(&path).expect("scratch file");
    let from_file = message::read(Window::new(&f, data.len() as u64));
    assert_eq!(from_memory, from_file, "memory and file readers disagree");

    let _ = logs::parse(data);
    let text = String::from_utf8_lossy(data);
    for word in text.split_ascii_whitespace().take(16) {
        if let Some(id) = QueueId::parse(word) {
            assert_eq!(id.as_str(), word);
            let _ = (id.is_long(), id.created());
        }
        if let Some(net) = Net::parse(word) {
            let _ = net.contains(net.addr);
        }
    }
});
