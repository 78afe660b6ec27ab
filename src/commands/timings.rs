//! Where a run's time goes, for whoever tunes it: with `POSTSLEUTH_TIMINGS`
//! set in the environment, each step prints on stderr when it ends, counted
//! from the start of the process. A profiler shows which functions are hot;
//! this shows which step of a command a speed change moved, at no cost
//! when unset (one cached check per step, a handful of steps per run).

use std::sync::OnceLock;
use std::time::Instant;

static START: OnceLock<Instant> = OnceLock::new();
static ENABLED: OnceLock<bool> = OnceLock::new();

/// Marks the start of the run: call first thing in `main`.
pub fn start() {
    START.get_or_init(Instant::now);
}

fn enabled() -> bool {
    *ENABLED.get_or_init(|| std::env::var_os("POSTSLEUTH_TIMINGS").is_some())
}

/// Step `name` has just ended.
pub fn step(name: &str) {
    if enabled() {
        let t = START.get_or_init(Instant::now).elapsed();
        super::console::say(&format!("postsleuth: timing: {name:<10} done at {:7.3} s", t.as_secs_f64()));
    }
}
