//! Where a delimited file's bytes come from: the file itself, or the text inside a gzip or zstd
//! stream (`.csv.gz`, `.csv.zst`), chosen by the file's extension.
//!
//! A compressed file is decompressed on a thread of its own ("drift-inflate"), which hands the text
//! to the CSV readers in chunks of [`CHUNK_BYTES`] through a bounded channel: the parser never waits
//! on inflate for more than a chunk, memory is bounded by the channel (a few MB), and the file is read
//! once, front to back, like an uncompressed one. The readers see only a [`Read`] of the text, so
//! lines, columns and error positions are those of the decompressed text, exactly as if the file had
//! been decompressed first. Concatenated gzip members and zstd frames are read through to the end, as
//! `gzip -d` and `zstd -d` do.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::mpsc::{Receiver, sync_channel};

use crate::error::DriftError;

/// Bytes of decompressed text per message from the inflate thread.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks in flight between the inflate thread and the parser.
const CHUNKS_IN_FLIGHT: usize = 4;

/// How a delimited file is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    /// Plain text.
    None,
    /// gzip (`.gz`, `.gzip`).
    Gzip,
    /// Zstandard (`.zst`, `.zstd`).
    Zstd,
}

impl Compression {
    /// By the last extension: `data.csv.gz` is gzip, `data.csv` plain.
    pub(crate) fn of(path: &Path) -> Compression {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "gz" | "gzip" => Compression::Gzip,
            "zst" | "zstd" => Compression::Zstd,
            _ => Compression::None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// The file's text from byte `skip` of the text on: the file seeked there, or a decompressing stream
/// that has discarded the first `skip` bytes of text.
pub(crate) fn open_text(path: &Path, compression: Compression, skip: u64) -> Result<Box<dyn Read + Send>, DriftError> {
    let io = |source| DriftError::Io { file: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(io)?;
    if compression == Compression::None {
        if skip > 0 {
            file.seek(SeekFrom::Start(skip)).map_err(io)?;
        }
        return Ok(Box::new(file));
    }
    let (tx, rx) = sync_channel::<std::io::Result<Vec<u8>>>(CHUNKS_IN_FLIGHT);
    let inflate = move || {
        let buffered = BufReader::with_capacity(1 << 18, file);
        let mut decoder: Box<dyn Read> = match compression {
            Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
            Compression::Zstd => match zstd::stream::read::Decoder::with_buffer(buffered) {
                Ok(d) => Box::new(d),
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            },
            Compression::None => Box::new(buffered),
        };
        let mut total = 0u64;
        loop {
            let mut chunk = vec![0u8; CHUNK_BYTES];
            let mut filled = 0;
            let result = loop {
                match decoder.read(&mut chunk[filled..]) {
                    Ok(0) => break Ok(true),
                    Ok(n) => {
                        filled += n;
                        if filled == chunk.len() {
                            break Ok(false);
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            total += filled as u64;
            chunk.truncate(filled);
            let at_end = match result {
                Ok(at_end) => at_end,
                Err(e) => {
                    if filled > 0 && tx.send(Ok(chunk)).is_err() {
                        return;
                    }
                    let message = format!("{} stream is damaged after {total} bytes of text: {e}", compression.name());
                    let _ = tx.send(Err(std::io::Error::new(e.kind(), message)));
                    return;
                }
            };
            // An empty chunk marks the end, so a thread that died is told apart from a finished one.
            if (filled > 0 && tx.send(Ok(chunk)).is_err()) || (at_end && tx.send(Ok(Vec::new())).is_err()) {
                return;
            }
            if at_end {
                return;
            }
        }
    };
    std::thread::Builder::new().name("drift-inflate".into()).spawn(inflate).map_err(io)?;
    let mut text = ChannelReader { rx, chunk: Vec::new(), pos: 0, done: false };
    if skip > 0 {
        std::io::copy(&mut (&mut text).take(skip), &mut std::io::sink()).map_err(io)?;
    }
    Ok(Box::new(text))
}

/// The reading end of the inflate thread's channel. Dropping it stops the thread at its next chunk.
struct ChannelReader {
    rx: Receiver<std::io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.chunk.len() {
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Ok(chunk)) if chunk.is_empty() => self.done = true,
                Ok(Ok(chunk)) => (self.chunk, self.pos) = (chunk, 0),
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => {
                    self.done = true;
                    return Err(std::io::Error::other("the decompression thread stopped before the end"));
                }
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
