//! The commands' [`Observer`]: diagnostics on stderr as
//! `postsleuth: FILE[:LINE]: MESSAGE`, and on a terminal a progress bar
//! while reading that turns into a spinner naming each later stage, so
//! that a long run never sits silent at "ETA 0s".

use crate::diag::{Diagnostic, Handle, Observer, Progress, Stage};
use crate::text::cell;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

pub struct Console {
    /// Shown only when stderr is a terminal and the user did not ask for quiet.
    progress: bool,
    bar: Mutex<Option<ProgressBar>>,
}

/// The console of the run, for the steps that have no dataset at hand
/// (the output's start, timings). Weak: the run's dataset owns the console,
/// so that an error, which drops the dataset, clears the bar before `main`
/// prints the error.
static ACTIVE: Mutex<Option<Weak<Console>>> = Mutex::new(None);

impl Console {
    /// A handle on a new console; `progress`: show progress on a terminal.
    pub fn handle(progress: bool) -> Handle {
        let console =
            Arc::new(Console { progress: progress && std::io::stderr().is_terminal(), bar: Mutex::new(None) });
        if let Ok(mut active) = ACTIVE.lock() {
            *active = Some(Arc::downgrade(&console));
        }
        Handle::new(console)
    }

    fn bar(&self) -> std::sync::MutexGuard<'_, Option<ProgressBar>> {
        // A panic while drawing leaves nothing inconsistent behind.
        self.bar.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Prints `text` on stderr, above the bar if one is shown.
    fn say(&self, text: &str) {
        match &*self.bar() {
            Some(bar) => bar.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    fn clear(&self) {
        if let Some(bar) = self.bar().take() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Console {
    fn diagnostic(&self, d: &Diagnostic) {
        let file = cell(d.file, 200);
        match d.line {
            Some(line) => self.say(&format!("postsleuth: {file}:{line}: {}", d.message)),
            None => self.say(&format!("postsleuth: {file}: {}", d.message)),
        }
    }

    fn progress(&self, p: Progress) {
        if !self.progress {
            return;
        }
        let mut bar = self.bar();
        match p {
            Progress::Reading { total } => {
                let b = ProgressBar::new(total);
                let style = ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} ETA {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar());
                b.set_style(style);
                *bar = Some(b);
            }
            Progress::Read(n) => {
                if let Some(b) = &*bar {
                    b.set_position(n);
                }
            }
            Progress::File(name) => {
                if let Some(b) = &*bar {
                    b.set_message(cell(name, 40));
                }
            }
            Progress::ReadingDone => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
            Progress::Stage(stage) => {
                let b = bar.get_or_insert_with(|| {
                    let b = ProgressBar::new_spinner();
                    let style = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner());
                    b.set_style(style);
                    // The work runs on this thread: a ticker keeps the
                    // spinner and the clock moving meanwhile.
                    b.enable_steady_tick(Duration::from_millis(120));
                    b
                });
                b.set_message(stage.as_str());
            }
            Progress::Done => {
                drop(bar);
                self.clear();
            }
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.clear();
    }
}

/// The run's console, if it still is.
fn active() -> Option<Arc<Console>> {
    ACTIVE.lock().ok()?.as_ref()?.upgrade()
}

/// The output starts: named as a stage when it goes to a file or a pipe;
/// on a terminal the bar goes, so as not to be drawn into the output.
pub fn writing(stdout_is_terminal: bool) {
    if let Some(c) = active() {
        if stdout_is_terminal {
            c.clear();
        } else {
            c.progress(Progress::Stage(Stage::Writing));
        }
    }
}

/// Prints a line on stderr without tearing the bar.
pub fn say(text: &str) {
    match active() {
        Some(c) => c.say(text),
        None => eprintln!("{text}"),
    }
}
