//! Memory hints: handing freed memory back to the system between the steps
//! of an analysis, and asking for memory before it is read.
//!
//! glibc's malloc keeps what the program frees in its arenas for reuse.
//! After ingest drops the records, and after each polars query drops its
//! temporaries, that memory is free but still counted against the process,
//! and the peak grows by what earlier steps freed. Trimming after each
//! step keeps the peak to what the steps need at once.

/// Returns the memory malloc holds free to the system, where the C library
/// can (glibc); elsewhere, nothing to do.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::os::raw::c_int;
        }
        // SAFETY: malloc_trim takes no pointer and has no precondition; it
        // only releases free heap pages, under malloc's own locks.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Asks the CPU to start loading the memory of `value` into its cache.
/// Ingest's correlating thread reads data that is cold in its cache (lines
/// the parse thread wrote on the other core, slots of a large hash table);
/// asking a few lines ahead lets those loads overlap instead of stalling one
/// after the other. A hint only: it never faults and changes no result.
#[inline]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let start = (value as *const T).cast::<i8>();
        for offset in (0..std::mem::size_of::<T>()).step_by(64) {
            // SAFETY: a prefetch is a hint that never faults; the address is
            // inside `value`, and SSE is part of x86-64's baseline.
            unsafe { _mm_prefetch(start.wrapping_add(offset), _MM_HINT_T0) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

#[cfg(test)]
mod tests {
    #[test]
    fn giving_back_keeps_live_memory() {
        let kept = vec![7u8; 1 << 20];
        drop(vec![0u8; 64 << 20]);
        super::give_back();
        assert!(kept.iter().all(|&b| b == 7));
    }
}
