//! Progress bars for long work, drawn on stderr only when it is a terminal.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// A byte-counting bar fed by a counter that another thread advances.
pub struct ByteBar {
    bar: ProgressBar,
    done: Arc<AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl ByteBar {
    /// Starts a bar of `total` bytes polling `read` ten times a second.
    pub fn start(message: &str, total: u64, read: impl Fn() -> u64 + Send + 'static) -> ByteBar {
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template("{msg:10} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        let done = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (bar, done) = (bar.clone(), done.clone());
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    bar.set_position(read().min(bar.length().unwrap_or(u64::MAX)));
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        ByteBar { bar, done, ticker: Some(ticker) }
    }

    /// Stops and clears the bar.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        self.bar.finish_and_clear();
    }
}

impl Drop for ByteBar {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A spinner for work whose size is not known in advance.
pub fn spinner(message: &str) -> ProgressBar {
    let s = ProgressBar::new_spinner();
    s.set_message(message.to_string());
    s.enable_steady_tick(Duration::from_millis(120));
    s
}
