//! Drives `modelreg_drift` for the drift benchmark (`bench/drift/run.sh`) until the CLI exists.
//!
//! ```text
//! drift_bench generate DIR ROWS      # DIR/{baseline,target}.{csv,parquet}: 20 numerical + 5 categorical
//! drift_bench exact BASELINE TARGET  # exact mode, prints timing and the verdict
//! drift_bench profile DATA OUT       # profile one file
//! drift_bench profile-drift BASELINE_PROFILE TARGET  # profile mode: target data vs a stored profile
//! drift_bench read DATA              # a read-only pass (the floor for profile throughput)
//! ```
//!
//! `DRIFT_THREADS=1` reads with the sequential readers (the references); unset, one thread per core.
//! `DRIFT_MEMORY_MB` sets exact mode's in-memory budget per input (default 256).

use std::error::Error;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use modelreg_drift::{DriftConfig, Input, Profile, ProfileOptions, ReadOptions, compare, profile_file, read};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

const NUMERICAL: usize = 20;
const CATEGORICAL: usize = 5;

/// xorshift64* with Box–Muller: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
}

/// Rows per Parquet row group (and per batch of generated rows).
const ROW_GROUP: usize = 128 * 1024;

/// Shifts 4 numerical columns (f0..f3 by 0.3σ) and 1 categorical column (c0) in the target. The
/// Parquet file holds the same values as the CSV (each number as printed, read back).
fn generate(dir: &Path, rows: usize) -> Result<(), Box<dyn Error>> {
    std::fs::create_dir_all(dir)?;
    let header: Vec<String> =
        (0..NUMERICAL).map(|i| format!("f{i}")).chain((0..CATEGORICAL).map(|i| format!("c{i}"))).collect();
    let fields: Vec<Field> = header
        .iter()
        .enumerate()
        .map(|(i, name)| Field::new(name, if i < NUMERICAL { DataType::Float64 } else { DataType::Utf8 }, false))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    for (name, seed, shifted) in [("baseline", 1u64, false), ("target", 2, true)] {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ seed);
        let mut out =
            std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(dir.join(format!("{name}.csv")))?);
        let props =
            WriterProperties::builder().set_compression(Compression::SNAPPY).set_max_row_group_size(ROW_GROUP).build();
        let parquet_file = std::fs::File::create(dir.join(format!("{name}.parquet")))?;
        let mut parquet = ArrowWriter::try_new(parquet_file, Arc::clone(&schema), Some(props))?;
        writeln!(out, "{}", header.join(","))?;
        let mut line = String::with_capacity(512);
        let mut done = 0;
        while done < rows {
            let n = ROW_GROUP.min(rows - done);
            let mut numbers: Vec<Vec<f64>> = (0..NUMERICAL).map(|_| Vec::with_capacity(n)).collect();
            let mut labels: Vec<Vec<String>> = (0..CATEGORICAL).map(|_| Vec::with_capacity(n)).collect();
            for _ in 0..n {
                line.clear();
                for (i, column) in numbers.iter_mut().enumerate() {
                    let (mean, sd) = (i as f64, 1.0 + i as f64 / 10.0);
                    let shift = if shifted && i < 4 { 0.3 * sd } else { 0.0 };
                    let text = format!("{:.6}", mean + shift + sd * rng.normal());
                    column.push(text.parse::<f64>()?);
                    line.push_str(&text);
                    line.push(',');
                }
                for (i, column) in labels.iter_mut().enumerate() {
                    let u = rng.uniform();
                    let u = if shifted && i == 0 { u * u } else { u };
                    let k = (u * 8.0) as u32;
                    write!(line, "v{k}")?;
                    column.push(format!("v{k}"));
                    line.push(if i + 1 < CATEGORICAL { ',' } else { '\n' });
                }
                out.write_all(line.as_bytes())?;
            }
            let arrays: Vec<ArrayRef> = numbers
                .into_iter()
                .map(|v| Arc::new(Float64Array::from(v)) as ArrayRef)
                .chain(labels.into_iter().map(|v| Arc::new(StringArray::from(v)) as ArrayRef))
                .collect();
            parquet.write(&RecordBatch::try_new(Arc::clone(&schema), arrays)?)?;
            done += n;
        }
        out.flush()?;
        parquet.close()?;
    }
    Ok(())
}

/// Read options for the benchmark: `DRIFT_THREADS` overrides the thread count, `DRIFT_MEMORY_MB`
/// exact mode's in-memory budget per input (past it columns spill to temporary files).
fn read_options() -> Result<ReadOptions, Box<dyn Error>> {
    let mut options = ReadOptions::default();
    if let Ok(t) = std::env::var("DRIFT_THREADS") {
        options.threads = t.parse()?;
    }
    if let Ok(mb) = std::env::var("DRIFT_MEMORY_MB") {
        options.exact_memory = mb.parse::<u64>()? << 20;
    }
    Ok(options)
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(PathBuf::from).ok_or("missing argument (see the module docs)");
    let start = Instant::now();
    match args.first().map(String::as_str) {
        Some("generate") => {
            let rows = args.get(2).map(|r| r.parse()).transpose()?.unwrap_or(1_000_000);
            generate(&arg(1)?, rows)?;
        }
        Some("exact") => {
            let report =
                compare(&Input::Data(arg(1)?), &Input::Data(arg(2)?), &read_options()?, &DriftConfig::default())?;
            let drifted: Vec<&str> = report.features.iter().filter(|f| f.drifted).map(|f| f.name.as_str()).collect();
            println!("exact: drift={} drifted={drifted:?}", report.summary.drift);
        }
        Some("profile") => {
            let profile =
                profile_file(&arg(1)?, &ProfileOptions { read: read_options()?, ..ProfileOptions::default() }, None)?;
            let text = profile.to_toml()?;
            std::fs::write(arg(2)?, &text)?;
            println!("profile: {} rows, {} bytes of TOML", profile.rows, text.len());
        }
        Some("profile-drift") => {
            let baseline = Profile::read(&arg(1)?)?;
            let report =
                compare(&Input::Profile(baseline), &Input::Data(arg(2)?), &read_options()?, &DriftConfig::default())?;
            let drifted: Vec<&str> = report.features.iter().filter(|f| f.drifted).map(|f| f.name.as_str()).collect();
            println!("profile-drift: drift={} drifted={drifted:?}", report.summary.drift);
        }
        Some("read") => {
            let mut reader = read::open(&arg(1)?, &read_options()?)?;
            let mut rows = 0;
            while let Some(batch) = reader.next_batch()? {
                rows += batch.rows;
            }
            println!("read: {rows} rows");
        }
        _ => return Err("usage: drift_bench generate|exact|profile|profile-drift|read ...".into()),
    }
    eprintln!("elapsed {:.3} s", start.elapsed().as_secs_f64());
    Ok(())
}
