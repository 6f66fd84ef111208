//! Generates a large registry for benchmarks: N models × V versions of signed register records,
//! written through the library (record format, chain, signatures are the real ones) and committed
//! once. `modelreg check` passes on the result (artifacts are not in the store).
//!
//!     cargo run --release --example generate_registry -- DIR MODELS VERSIONS KEY

use std::path::PathBuf;

use modelreg::record::{Artifact, Digest, Lineage, Metric, Record, RecordKind, RegisterRecord, Timestamp};
use modelreg::repo::layout::{self, RecordFileName};
use modelreg::sign::SigningKey;
use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, models, versions, key] = args.as_slice() else {
        eprintln!("usage: generate_registry DIR MODELS VERSIONS KEY");
        std::process::exit(2);
    };
    let root = PathBuf::from(dir);
    let models: usize = models.parse().expect("MODELS is a number");
    let versions: u64 = versions.parse().expect("VERSIONS is a number");
    let key = SigningKey::load(key.as_ref(), "--key").expect("a signing key");
    let now = Timestamp::now();

    (0..models).into_par_iter().for_each(|m| {
        let name = format!("model-{m:05}").parse().expect("valid name");
        let dir = layout::records_dir(&root, &name);
        std::fs::create_dir_all(&dir).expect("records dir");
        let mut previous: Option<Digest> = None;
        for v in 1..=versions {
            let metric = |x: f64| Metric::try_from(x).expect("finite");
            let record = Record::Register(Box::new(RegisterRecord {
                schema: RecordKind::Register.schema().into(),
                model: name.clone(),
                seq: v,
                previous,
                created_at: now,
                author: "Bench <bench@example.com>".into(),
                signer: key.id().clone(),
                version: v.try_into().expect("version"),
                message: Some(format!("generated version {v}")),
                description: Some(format!("benchmark model {m}")),
                framework: Some("sklearn".into()),
                tags: [("team".parse().unwrap(), format!("team-{}", m % 20))].into(),
                metrics: [
                    ("auc".parse().unwrap(), metric(0.80 + (m % 100) as f64 / 1000.0 + v as f64 / 100.0)),
                    ("recall".parse().unwrap(), metric(0.7 + v as f64 / 50.0)),
                ]
                .into(),
                params: [("lr".parse().unwrap(), "0.01".into())].into(),
                lineage: Lineage::default(),
                artifacts: vec![Artifact {
                    path: "model.safetensors".parse().unwrap(),
                    digest: Digest::of_bytes(format!("{m}/{v}").as_bytes()),
                    size: 1 << 20,
                    format: Some("safetensors".into()),
                }],
                baseline_profile: None,
            }));
            let bytes = record.to_bytes();
            let file = RecordFileName { seq: v, kind: RecordKind::Register };
            std::fs::write(dir.join(file.to_string()), &bytes).expect("write record");
            std::fs::write(dir.join(file.signature(key.id())), key.sign(&bytes)).expect("write signature");
            previous = Some(Digest::of_bytes(&bytes));
        }
    });
}
