//! Reports written from the statistics (under construction).
