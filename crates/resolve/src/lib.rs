//! Person resolution: which people records are the same person (under construction).
