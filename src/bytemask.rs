//! Where given bytes are in a 64-byte block, as bit masks: bit `i` set
//! where `block[i]` is the byte. One pass of a few vector compares answers
//! for all 64 positions at once, where a search call per field pays its
//! setup again each time: log lines are split into lines and fields this
//! way millions of times.

/// One mask per byte of `bytes`, over the first 64 bytes of `block`; a
/// block shorter than 64 bytes gives empty masks (callers pad or search).
#[inline]
pub fn masks<const N: usize>(block: &[u8], bytes: [u8; N]) -> [u64; N] {
    let mut out = [0u64; N];
    let Some(block) = block.get(..64) else { return out };
    imp::masks(block, &bytes, &mut out);
    out
}

#[cfg(target_arch = "x86_64")]
mod imp {
    use std::arch::x86_64::{__m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8};

    #[inline(always)]
    pub fn masks(block: &[u8], bytes: &[u8], out: &mut [u64]) {
        for (lane_index, lane) in block.chunks_exact(16).take(4).enumerate() {
            // SAFETY: SSE2 is part of x86-64's baseline; `lane` is 16
            // readable bytes, and the load is an unaligned one.
            let v = unsafe { _mm_loadu_si128(lane.as_ptr().cast::<__m128i>()) };
            for (mask, &b) in out.iter_mut().zip(bytes) {
                // SAFETY: as above, SSE2 only.
                let bits = unsafe { _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8))) };
                *mask |= u64::from(bits as u16) << (16 * lane_index);
            }
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
use portable as imp;

/// Byte by byte: other CPUs' build, and the reference the SIMD one is
/// tested against.
#[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
mod portable {
    pub fn masks(block: &[u8], bytes: &[u8], out: &mut [u64]) {
        for (i, &c) in block.iter().take(64).enumerate() {
            for (mask, &b) in out.iter_mut().zip(bytes) {
                *mask |= u64::from(c == b) << i;
            }
        }
    }
}

/// The lowest set bit at or above `from`, if any.
#[inline]
pub fn first_from(mask: u64, from: usize) -> Option<usize> {
    let m = if from >= 64 { 0 } else { mask & (!0u64 << from) };
    (m != 0).then(|| m.trailing_zeros() as usize)
}

/// The highest set bit in `from..to`, if any.
#[inline]
pub fn last_in(mask: u64, from: usize, to: usize) -> Option<usize> {
    let below_to = if to >= 64 { !0u64 } else { (1u64 << to) - 1 };
    let m = if from >= 64 { 0 } else { mask & below_to & (!0u64 << from) };
    (m != 0).then(|| 63 - m.leading_zeros() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_mark_every_position() {
        let block: Vec<u8> = (0..64u8)
            .map(|i| {
                if i % 7 == 0 {
                    b'x'
                } else if i % 5 == 0 {
                    b'y'
                } else {
                    b'.'
                }
            })
            .collect();
        let [x, y, z] = masks(&block, [b'x', b'y', b'z']);
        for (i, &c) in block.iter().enumerate() {
            assert_eq!(x >> i & 1 == 1, c == b'x', "x at {i}");
            assert_eq!(y >> i & 1 == 1, c == b'y', "y at {i}");
        }
        assert_eq!(z, 0);
        assert_eq!(masks(&block[..63], [b'x']), [0], "a short block has no mask");
    }

    /// The SIMD masks are the byte-by-byte ones, on any bytes.
    #[test]
    fn simd_and_portable_agree() {
        let mut seed = 0x51_7cc1_b727_220au64;
        for _ in 0..2000 {
            let block: Vec<u8> = (0..64)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    b" :[]/\n\x00\xff"[(seed % 8) as usize]
                })
                .collect();
            let needles = [b' ', b':', b'[', b']', b'/', b'\n', 0, 0xff];
            let mut want = [0u64; 8];
            portable::masks(&block, &needles, &mut want);
            assert_eq!(masks(&block, needles), want);
        }
    }

    #[test]
    fn first_and_last_stay_in_range() {
        let m = 1u64 << 3 | 1 << 10 | 1 << 63;
        assert_eq!(first_from(m, 0), Some(3));
        assert_eq!(first_from(m, 4), Some(10));
        assert_eq!(first_from(m, 11), Some(63));
        assert_eq!(first_from(m, 64), None);
        assert_eq!(last_in(m, 0, 64), Some(63));
        assert_eq!(last_in(m, 0, 63), Some(10));
        assert_eq!(last_in(m, 4, 10), None);
        assert_eq!(last_in(m, 3, 4), Some(3));
        assert_eq!(last_in(m, 64, 64), None);
        assert_eq!(last_in(0, 0, 64), None);
    }
}
