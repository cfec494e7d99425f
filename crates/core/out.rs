//! What the commands print, without panicking when nobody is reading any more.
//!
//! `println!` panics when standard output is a pipe whose reader has gone (`conduct status |
//! head -1`), and resetting SIGPIPE would need unsafe code, which the workspace forbids. So every
//! command prints through `outln!` and `out!`, which return the write's error: a closed pipe
//! becomes [`StdoutClosed`], which `main` turns into a quiet, successful exit (the reader had all
//! it wanted), and any other failure is an ordinary error. Messages on standard error go through
//! `note!`, which never fails: when standard error is gone there is nowhere left to say
//! anything.

use std::fmt;
use std::io::{self, Write};

/// Standard output was closed by its reader.
#[derive(Debug)]
pub struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Whether an error (anywhere in its chain) is standard output being closed by its reader.
pub fn is_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<StdoutClosed>() || c.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe))
}

fn failed(e: io::Error) -> anyhow::Error {
    if e.kind() == io::ErrorKind::BrokenPipe { StdoutClosed.into() } else { anyhow::Error::new(e).context("writing to standard output") }
}

/// Writes to standard output, reporting a closed pipe as [`StdoutClosed`].
pub fn write(args: fmt::Arguments<'_>) -> anyhow::Result<()> {
    io::stdout().lock().write_fmt(args).map_err(failed)
}

/// Flushes standard output (what `print!` left without a newline), reporting as [`write()`] does.
pub fn flush() -> anyhow::Result<()> {
    io::stdout().lock().flush().map_err(failed)
}

/// Writes to standard error, ignoring failure.
pub fn note(args: fmt::Arguments<'_>) {
    let _ = io::stderr().lock().write_fmt(args);
}

/// `println!` that returns `anyhow::Result<()>` instead of panicking.
macro_rules! outln {
    () => {
        $crate::out::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` that returns `anyhow::Result<()>` instead of panicking.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::out::write(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics.
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::out::note(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprint!` that never panics.
macro_rules! note_raw {
    ($($arg:tt)*) => {
        $crate::out::note(format_args!($($arg)*))
    };
}
