//! Independent jobs on all cores, results in the order the jobs came.
//!
//! After ingest, the analyses are many small steps (a frame's columns, a
//! summary's rankings). One after the other they leave the second core of
//! a small machine idle; polars parallelises within a query, but a query
//! this small mostly runs on one thread.

/// A job for [`in_order`].
pub type Job<'a, T> = Box<dyn FnOnce() -> T + Send + 'a>;

/// Runs `jobs` on up to `max_threads` threads (this one among them), and
/// returns their results in the order of `jobs`. A thread the system
/// refuses is no error: this one runs more jobs. A job that panics ends
/// its thread; the others run what is left, and the panic is raised again
/// here, as if the jobs had run in turn.
pub fn in_order<T: Send>(jobs: Vec<Job<'_, T>>, max_threads: usize) -> Vec<T> {
    let count = jobs.len();
    let queue = std::sync::Mutex::new(jobs.into_iter().enumerate());
    let work = || {
        let mut done = Vec::new();
        // The lock is held only to take a job.
        while let Some((i, job)) = queue.lock().ok().and_then(|mut q| q.next()) {
            done.push((i, job()));
        }
        done
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let threads = cores.min(max_threads).min(count).max(1);
    let mut done = std::thread::scope(|s| {
        let helpers: Vec<_> =
            (1..threads).filter_map(|_| std::thread::Builder::new().spawn_scoped(s, work).ok()).collect();
        let mut done = work();
        for h in helpers {
            match h.join() {
                Ok(more) => done.extend(more),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        done
    });
    debug_assert_eq!(done.len(), count);
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Jobs of very different lengths come back in the order given.
    #[test]
    fn results_keep_the_jobs_order() {
        let jobs: Vec<Job<u64>> = (0..40u64)
            .map(|i| {
                Box::new(move || {
                    std::thread::sleep(std::time::Duration::from_millis((40 - i) % 7));
                    i
                }) as Job<u64>
            })
            .collect();
        assert_eq!(in_order(jobs, 4), (0..40).collect::<Vec<_>>());
        assert!(in_order(Vec::<Job<u8>>::new(), 4).is_empty());
        assert_eq!(in_order(vec![Box::new(|| 7u8) as Job<u8>], 1), [7]);
    }
}
