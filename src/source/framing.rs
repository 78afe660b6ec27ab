//! Framing: how a chunk of bytes becomes lines. Apart from reading (files,
//! stdin, gzip: [`super::reader`]) and from each line's envelope
//! ([`crate::envelope`]), so that a source with other frames adds a framer
//! here without touching either.

/// Lines longer than this are skipped: Postfix never writes one (syslog
/// daemons cut at 8 KiB by default); a longer one is corruption or attack.
pub const MAX_LINE: usize = 64 << 10;

/// Calls `f` on each line of a chunk, without its `\n` (and `\r`). A chunk
/// that ends without a newline ends with a line too.
///
/// Newlines are found 64 bytes at a time, as a mask with a bit per newline.
/// A log line is ~150 bytes: a search call per line paid its setup on every
/// line, and was a tenth of the parse thread's time.
pub fn for_each_line<'a>(bytes: &'a [u8], mut f: impl FnMut(&'a [u8])) {
    let mut start = 0;
    let mut base = 0;
    while let Some(block) = bytes.get(base..base + 64) {
        let [mut newlines] = crate::bytemask::masks(block, [b'\n']);
        while newlines != 0 {
            let nl = base + newlines.trailing_zeros() as usize;
            f(trim_cr(&bytes[start..nl]));
            start = nl + 1;
            newlines &= newlines - 1;
        }
        base += 64;
    }
    for nl in memchr::memchr_iter(b'\n', &bytes[base..]) {
        f(trim_cr(&bytes[start..base + nl]));
        start = base + nl + 1;
    }
    if start < bytes.len() {
        f(trim_cr(&bytes[start..]));
    }
}

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines found 64 bytes at a time are the lines a plain search finds,
    /// at every length and alignment, CRs and empty lines included.
    #[test]
    fn lines_split_like_a_plain_search() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in (0..300).chain([1000, 4096, 70_000]) {
            let bytes: Vec<u8> = (0..len)
                .map(|_| match next() % 40 {
                    0..=2 => b'\n',
                    3 => b'\r',
                    n => b'a' + n as u8,
                })
                .collect();
            let mut seen = Vec::new();
            for_each_line(&bytes, |l| seen.push(l));
            let mut want: Vec<&[u8]> = bytes.split(|&c| c == b'\n').map(trim_cr).collect();
            if bytes.last().is_none_or(|&c| c == b'\n') {
                want.pop();
            }
            assert_eq!(seen, want, "{len} bytes");
        }
    }

    #[test]
    fn lines_split_with_or_without_final_newline() {
        let mut seen = Vec::new();
        for_each_line(b"a\r\nb\n\nc", |l| seen.push(l.to_vec()));
        assert_eq!(seen, [b"a".to_vec(), b"b".to_vec(), b"".to_vec(), b"c".to_vec()]);
    }
}
