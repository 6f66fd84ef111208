//! Delimited text parsed on every core, delivering exactly the batches the sequential reader
//! ([`super::csv::CsvReader`]) delivers: same rows per batch, same values in the same order, same
//! counts, and the same error (variant, line, column, value) at the same batch.
//!
//! How:
//! - The sequential reader reads the header and the inference sample, then hands over the byte
//!   offset and line of the next record ([`super::csv::CsvParts`]).
//! - A background thread reads the text (the file, or what the inflate thread decompressed from it)
//!   in windows of a few blocks, keeping the unparsed tail of one window as the start of the next. Each block starts at a *guessed*
//!   record boundary (just after a `\n`, or at the `\n` of a `\r\n`) and is parsed on its own pool
//!   thread with `csv-core` (the parser inside the `csv` crate, same settings) and the shared cell rule
//!   [`super::csv::push_cell`]. A block ends with the first record that finishes at or past the next
//!   block's guessed start.
//! - Guesses are then checked in file order: a block is kept only if it starts exactly where the
//!   previous (checked) block ended; otherwise — the guess fell inside a quoted field with an embedded
//!   newline, or on a blank line — it is parsed again from the true boundary. Between records
//!   `csv-core` is always in its start state, so a block parsed from a true boundary is the sequential
//!   parse, and line numbers are the block's first line plus the newlines it consumed.
//! - Errors found in a block are held until the block is checked, so a guess that fell inside a quoted
//!   field never reports anything. A record longer than a window grows the window.
//! - Each block keeps, per column, the rows that added no value (nulls, non-finite numbers, type
//!   errors). That is what lets [`ParallelCsvReader::next_batch`] cut the blocks into batches of
//!   exactly `batch_rows` rows with the sequential reader's counts.
//!
//! Memory is bounded by the channel between the thread and the reader (a few windows of parsed
//! blocks), not by the file.

use std::collections::VecDeque;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use csv_core::ReadRecordResult;
use rayon::prelude::*;

use super::csv::{CsvParts, Miss, cell_str, push_cell, push_plain};
use super::source::open_text;
use super::{Batch, BatchReader, ColumnChunk};
use crate::error::DriftError;
use crate::schema::{ColumnKind, ColumnSchema};

/// What every block parser needs to know, shared by the pool threads.
struct Layout {
    file: PathBuf,
    names: Vec<String>,
    kinds: Vec<ColumnKind>,
    fields: Vec<usize>,
    header_len: usize,
    delimiter: u8,
    strict: bool,
    aligned: bool,
}

/// An error found in a block, positioned relative to the block's first line.
#[derive(Debug)]
enum BlockError {
    Ragged { line: u64, found: u64 },
    NotUtf8 { line: u64, column: usize },
    Type { line: u64, column: usize, value: String, expected: &'static str },
}

/// One column of a parsed block.
struct BlockColumn {
    chunk: ColumnChunk,
    /// Rows (block-relative) that added no value when not reading aligned, in row order.
    misses: Vec<(u32, Miss)>,
}

/// A parsed block: whole records from `start` to `end` (byte offsets in the window).
struct Block {
    start: usize,
    end: usize,
    rows: usize,
    /// `\n` bytes consumed from `start` to `end`.
    lines: u64,
    columns: Vec<BlockColumn>,
    /// The first bad record, after `rows` good ones.
    error: Option<BlockError>,
    /// The window ended inside a record (and it is not the end of the file).
    incomplete: bool,
}

/// A block ready for the reader: checked, in file order, errors made absolute.
struct Ready {
    rows: usize,
    columns: Vec<BlockColumn>,
}

impl Layout {
    fn empty_columns(&self) -> Vec<BlockColumn> {
        self.kinds.iter().map(|&k| BlockColumn { chunk: ColumnChunk::empty(k), misses: Vec::new() }).collect()
    }

    /// Adds one record (its fields as `csv-core` wrote them) as row `row` of `columns`.
    fn push_row(
        &self,
        columns: &mut [BlockColumn],
        row: usize,
        line: u64,
        out: &[u8],
        ends: &[usize],
    ) -> Result<(), BlockError> {
        if ends.len() != self.header_len {
            return Err(BlockError::Ragged { line, found: ends.len() as u64 });
        }
        for (c, (column, &field)) in columns.iter_mut().zip(&self.fields).enumerate() {
            let from = if field == 0 { 0 } else { ends[field - 1] };
            if push_plain(&mut column.chunk, self.kinds[c], &out[from..ends[field]]) {
                continue;
            }
            let Some(text) = cell_str(&out[from..ends[field]]) else {
                return Err(BlockError::NotUtf8 { line, column: c });
            };
            match push_cell(&mut column.chunk, self.kinds[c], text, self.strict, self.aligned) {
                Ok(None) => {}
                Ok(Some(miss)) => column.misses.push((row as u32, miss)),
                Err(expected) => return Err(BlockError::Type { line, column: c, value: text.into(), expected }),
            }
        }
        Ok(())
    }

    /// Parses records from `window[start..]` until one ends at or past `stop` (or the file ends).
    fn parse(&self, window: &[u8], start: usize, stop: usize, at_eof: bool) -> Block {
        let mut core = csv_core::ReaderBuilder::new().delimiter(self.delimiter).build();
        let (mut out, mut ends) = (vec![0u8; 1024], vec![0usize; self.header_len.max(1) + 1]);
        // Between records csv-core skips newlines, so a leading "\n" leaves it in its start state; it
        // also marks the reader as started, so a block beginning with a byte-order mark keeps it (as
        // the sequential reader does mid-file). Lines are counted from here.
        core.read_record(b"\n", &mut out, &mut ends);
        let first_line = core.line();
        let mut block = Block {
            start,
            end: start,
            rows: 0,
            lines: 0,
            columns: self.empty_columns(),
            error: None,
            incomplete: false,
        };
        let mut pos = start;
        loop {
            let line = core.line() - first_line;
            let (mut outlen, mut endlen) = (0, 0);
            let result = loop {
                let (res, nin, nout, nend) = core.read_record(&window[pos..], &mut out[outlen..], &mut ends[endlen..]);
                pos += nin;
                outlen += nout;
                endlen += nend;
                match res {
                    ReadRecordResult::InputEmpty if !at_eof => break None,
                    ReadRecordResult::InputEmpty => {}
                    ReadRecordResult::OutputFull => out.resize(out.len() * 2, 0),
                    ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
                    ReadRecordResult::Record => break Some(true),
                    ReadRecordResult::End => break Some(false),
                }
            };
            match result {
                None => {
                    block.incomplete = true;
                    return block;
                }
                Some(false) => break,
                Some(true) => {
                    if let Err(e) = self.push_row(&mut block.columns, block.rows, line, &out[..outlen], &ends[..endlen])
                    {
                        block.error = Some(e);
                        return block;
                    }
                    block.rows += 1;
                    if pos >= stop {
                        break;
                    }
                }
            }
        }
        block.end = pos;
        block.lines = core.line() - first_line;
        block
    }

    fn absolute(&self, error: BlockError, first_line: u64) -> DriftError {
        let file = self.file.clone();
        match error {
            BlockError::Ragged { line, found } => {
                DriftError::RaggedRow { file, line: first_line + line, expected: self.header_len as u64, found }
            }
            BlockError::NotUtf8 { line, column } => {
                DriftError::NotUtf8 { file, line: first_line + line, column: self.names[column].clone() }
            }
            BlockError::Type { line, column, value, expected } => DriftError::TypeError {
                file,
                column: self.names[column].clone(),
                place: format!("line {}", first_line + line),
                value,
                expected,
            },
        }
    }
}

/// Guessed record boundaries in `window`, one near every `block` bytes: just after a `\n`, or at the
/// `\n` of a `\r\n` (where the sequential parse stops after the `\r`). The last one is the window's end
/// at the end of the file, else the last guess before the end.
fn guesses(window: &[u8], block: usize, at_eof: bool) -> Vec<usize> {
    let boundary_after = |from: usize| {
        memchr::memchr(b'\n', &window[from..]).map(|i| {
            let nl = from + i;
            if nl > 0 && window[nl - 1] == b'\r' { nl } else { nl + 1 }
        })
    };
    let mut cuts = vec![0];
    let mut next = block;
    while next < window.len() {
        match boundary_after(next) {
            Some(cut) if cut < window.len() => {
                if cut > *cuts.last().unwrap_or(&0) {
                    cuts.push(cut);
                }
                next = cut.max(next) + block;
            }
            _ => break,
        }
    }
    if at_eof {
        cuts.push(window.len());
    } else if cuts.len() == 1 {
        // No boundary guessed past the first block: parse the window as one block (it may well be
        // incomplete, which grows the window).
        cuts.push(window.len());
    }
    cuts
}

/// The background thread's work: where to read, and where to send checked blocks.
struct Producer {
    layout: Arc<Layout>,
    pool: rayon::ThreadPool,
    /// The text from the first record after the sample on (see [`super::source::open_text`]).
    input: Box<dyn Read + Send>,
    line: u64,
    block: usize,
    tx: SyncSender<Result<Ready, DriftError>>,
}

impl Producer {
    /// Windows in, checked blocks out, until the end of the file, an error, or the reader is dropped.
    fn run(self) {
        let Producer { layout, pool, mut input, mut line, block, tx } = self;
        let block = &block;
        let window_bytes = block * pool.current_num_threads().max(1) * 4;
        let mut size = window_bytes;
        // The window: text not yet parsed, starting at a true record boundary.
        let mut buf: Vec<u8> = Vec::new();
        let (mut eof, mut consumed) = (false, 0u64);
        loop {
            while buf.len() < size && !eof {
                let old = buf.len();
                buf.resize(size, 0);
                match input.read(&mut buf[old..]) {
                    Ok(0) => {
                        buf.truncate(old);
                        eof = true;
                    }
                    Ok(n) => buf.truncate(old + n),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(old),
                    Err(source) => {
                        let _ = tx.send(Err(DriftError::Io { file: layout.file.clone(), source }));
                        return;
                    }
                }
            }
            if buf.is_empty() {
                return;
            }
            let at_eof = eof;
            let cuts = guesses(&buf, *block, at_eof);
            let spans: Vec<(usize, usize)> = cuts.windows(2).map(|w| (w[0], w[1])).collect();
            let parsed: Vec<Block> = pool
                .install(|| spans.par_iter().map(|&(start, stop)| layout.parse(&buf, start, stop, at_eof)).collect());
            let mut at = 0; // the true record boundary reached so far, in the window
            let mut grow = false;
            for (guess, &(_, stop)) in parsed.into_iter().zip(&spans) {
                if at >= stop {
                    continue; // a record of an earlier block ran past this whole block
                }
                let block = if guess.start == at { guess } else { layout.parse(&buf, at, stop, at_eof) };
                if block.incomplete {
                    grow = at == 0;
                    break;
                }
                let error = block.error.map(|e| layout.absolute(e, line));
                if block.rows > 0 && tx.send(Ok(Ready { rows: block.rows, columns: block.columns })).is_err() {
                    return;
                }
                if let Some(e) = error {
                    let _ = tx.send(Err(e));
                    return;
                }
                at = block.end;
                line += block.lines;
            }
            size = if grow { size * 2 } else { window_bytes };
            if at == 0 && !grow {
                let message = format!("the CSV reader made no progress {consumed} bytes after the sample");
                let _ = tx.send(Err(DriftError::Csv { file: layout.file.clone(), line, message }));
                return;
            }
            buf.drain(..at);
            consumed += at as u64;
        }
    }
}

/// A CSV file read by a pool of threads; see the module docs.
pub struct ParallelCsvReader {
    schema: Vec<ColumnSchema>,
    aligned: bool,
    batch_rows: usize,
    /// The inference sample, parsed by the sequential reader, comes first (and an error in it when
    /// its block is reached, as the sequential reader would report it).
    first: VecDeque<Result<Ready, DriftError>>,
    rx: Option<Receiver<Result<Ready, DriftError>>>,
    current: Option<Cursor>,
    thread: Option<JoinHandle<()>>,
}

/// Where the reader is in a block: its row, and per column the next value and next miss.
struct Cursor {
    block: Ready,
    row: usize,
    values: Vec<usize>,
    misses: Vec<usize>,
}

impl ParallelCsvReader {
    /// Continues a sequential reader that has read its header and sample, on `threads` threads with
    /// blocks of about `block` bytes.
    pub(super) fn start(parts: CsvParts, threads: usize, block: usize) -> Result<Self, DriftError> {
        let io = |source| DriftError::Io { file: parts.file.clone(), source };
        let input = open_text(&parts.file, parts.compression, parts.byte)?;
        let layout = Arc::new(Layout {
            file: parts.file.clone(),
            names: parts.schema.iter().map(|c| c.name.clone()).collect(),
            kinds: parts.schema.iter().map(|c| c.kind).collect(),
            fields: parts.fields.clone(),
            header_len: parts.header_len,
            delimiter: parts.delimiter,
            strict: parts.strict,
            aligned: parts.aligned,
        });
        // The sample through the same row rule (it was parsed and checked when the file was opened).
        let mut columns = layout.empty_columns();
        let mut first = VecDeque::new();
        let mut rows = 0;
        for record in &parts.pending {
            let ends: Vec<usize> = (0..record.len()).map(|i| record.range(i).map_or(0, |r| r.end)).collect();
            let line = record.position().map_or(0, |p| p.line());
            if let Err(e) = layout.push_row(&mut columns, rows, 0, record.as_slice(), &ends) {
                first.push_back(Ok(Ready { rows, columns: layout.empty_columns() }));
                first.push_back(Err(layout.absolute(e, line)));
                break;
            }
            rows += 1;
        }
        if first.is_empty() {
            first.push_back(Ok(Ready { rows, columns }));
        } else if let Some(Ok(ready)) = first.front_mut() {
            ready.columns = columns;
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("drift-csv-{i}"))
            .build()
            .map_err(|e| io(std::io::Error::other(e)))?;
        let (tx, rx) = sync_channel(4 * threads.max(1) * 2);
        let producer = Producer { layout, pool, input, line: parts.line, block: block.max(1), tx };
        let thread =
            std::thread::Builder::new().name("drift-csv-read".into()).spawn(move || producer.run()).map_err(io)?;
        Ok(ParallelCsvReader {
            schema: parts.schema,
            aligned: parts.aligned,
            batch_rows: parts.batch_rows,
            first,
            rx: Some(rx),
            current: None,
            thread: Some(thread),
        })
    }

    /// The next block with rows left, or `None` at the end.
    fn cursor(&mut self) -> Result<Option<&mut Cursor>, DriftError> {
        if self.current.as_ref().is_none_or(|c| c.row == c.block.rows) {
            self.current = None;
            let next = match self.first.pop_front() {
                Some(first) => Some(first?),
                None => match self.rx.as_ref().map(Receiver::recv) {
                    Some(Ok(item)) => Some(item?),
                    _ => None,
                },
            };
            if let Some(block) = next {
                let n = block.columns.len();
                self.current = Some(Cursor { block, row: 0, values: vec![0; n], misses: vec![0; n] });
            }
        }
        Ok(self.current.as_mut())
    }
}

/// Moves rows `[cursor.row, cursor.row + take)` of column `c` into `chunk`.
fn take_rows(cursor: &mut Cursor, c: usize, take: usize, aligned: bool, chunk: &mut ColumnChunk) {
    let end_row = (cursor.row + take) as u32;
    let column = &mut cursor.block.columns[c];
    let first_miss = cursor.misses[c];
    let mut m = first_miss;
    let (mut null, mut nonfinite, mut bad) = (0, 0, 0);
    while let Some(&(row, miss)) = column.misses.get(m) {
        if row >= end_row {
            break;
        }
        match miss {
            Miss::Null => null += 1,
            Miss::NonFinite => nonfinite += 1,
            Miss::TypeError => bad += 1,
        }
        m += 1;
    }
    cursor.misses[c] = m;
    let count = if aligned { take } else { take - (m - first_miss) };
    let from = cursor.values[c];
    cursor.values[c] = from + count;
    match (chunk, &mut column.chunk) {
        (
            ColumnChunk::Numbers { values, nulls, non_finite, type_errors },
            ColumnChunk::Numbers { values: source, .. },
        ) => {
            values.extend_from_slice(&source[from..from + count]);
            *nulls += null;
            *non_finite += nonfinite;
            *type_errors += bad;
        }
        (ColumnChunk::Labels { values, nulls, type_errors }, ColumnChunk::Labels { values: source, .. }) => {
            values.extend(source[from..from + count].iter_mut().map(std::mem::take));
            *nulls += null;
            *type_errors += bad;
        }
        _ => unreachable!("blocks are built from the same schema as batches"),
    }
}

impl BatchReader for ParallelCsvReader {
    fn schema(&self) -> &[ColumnSchema] {
        &self.schema
    }

    fn next_batch(&mut self) -> Result<Option<Batch>, DriftError> {
        let mut chunks: Vec<ColumnChunk> = self.schema.iter().map(|c| ColumnChunk::empty(c.kind)).collect();
        let (batch_rows, aligned) = (self.batch_rows, self.aligned);
        let mut rows = 0usize;
        while rows < batch_rows {
            let Some(cursor) = self.cursor()? else {
                break;
            };
            let take = (batch_rows - rows).min(cursor.block.rows - cursor.row);
            for (c, chunk) in chunks.iter_mut().enumerate() {
                take_rows(cursor, c, take, aligned, chunk);
            }
            cursor.row += take;
            rows += take;
        }
        Ok((rows > 0).then_some(Batch { rows: rows as u64, columns: chunks }))
    }
}

impl Drop for ParallelCsvReader {
    fn drop(&mut self) {
        // Closing the channel makes the thread stop at its next block.
        self.rx = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
