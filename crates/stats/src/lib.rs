//! Statistics in the Home Office layout (under construction).
