//! Progress reporting without printing: the library reports, the CLI decides whether to draw.

/// Receives progress from long operations (hashing, copying). Implementations must be cheap: they are
/// called from worker threads for every buffer.
pub trait Progress: Sync {
    /// A new phase begins, with the total amount of work in bytes.
    fn start(&self, _label: &str, _total_bytes: u64) {}
    /// `bytes` more of the current phase are done (a delta, not a running total).
    fn advance(&self, _bytes: u64) {}
    /// The current phase is over.
    fn finish(&self) {}
}

/// Reports nothing.
pub struct NoProgress;

impl Progress for NoProgress {}
