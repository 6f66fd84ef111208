//! Crash safety: an interrupted write leaves the registry valid.
