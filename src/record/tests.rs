//! Record parsing: round-trips of arbitrary valid records, no panics on arbitrary bytes, and the rules
//! that make a parsed [`Record`] a valid one (first-line schema, size cap, chain header, finite metrics).

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

/// A complete, valid record in the exact form `register` writes it.
const VALID: &str = r#"schema = "modelreg/register/v1"
model = "fraud-detector"
seq = 2
previous = "blake3:0000000000000000000000000000000000000000000000000000000000000000"
created_at = "2026-11-22T10:00:00Z"
author = "Alice <alice@example.com>"
signer = "f43fd158e0f275c5"
version = 2

[metrics]
auc = 0.94

[[artifacts]]
path = "model.safetensors"
digest = "blake3:6752e1b45e9b0241a1e4432a4b379f8241ea0bd165dd0a740318572ade42fbe7"
size = 10
format = "safetensors"
"#;

fn parse(text: &str) -> Result<Record, RecordError> {
    Record::parse(text.as_bytes())
}

#[test]
fn the_documented_example_parses() {
    let record = parse(VALID).unwrap();
    assert_eq!(record.kind(), RecordKind::Register);
    assert_eq!(record.model().as_str(), "fraud-detector");
    assert_eq!(record.seq(), 2);
    let Record::Register(register) = &record else { panic!("a register record") };
    assert_eq!(register.metrics.values().next().map(|m| m.get()), Some(0.94));
    assert_eq!(parse(&String::from_utf8(record.to_bytes()).unwrap()).unwrap(), record);
}

#[test]
fn the_first_line_names_the_schema() {
    let body = VALID.split_once('\n').unwrap().1;
    for (text, expected) in [
        (String::new(), RecordError::MissingSchemaLine),
        (format!("\n{VALID}"), RecordError::MissingSchemaLine),
        (format!("# a comment\n{VALID}"), RecordError::MissingSchemaLine),
        (format!("\u{feff}{VALID}"), RecordError::MissingSchemaLine),
        (format!("schema=\"modelreg/register/v1\"\n{body}"), RecordError::MissingSchemaLine),
        (format!("schema = 'modelreg/register/v1'\n{body}"), RecordError::MissingSchemaLine),
        (format!("{body}schema = \"modelreg/register/v1\"\n"), RecordError::MissingSchemaLine),
        (
            format!("schema = \"modelreg/register/v2\"\n{body}"),
            RecordError::UnknownSchema("modelreg/register/v2".into()),
        ),
        (format!("schema = \"modelreg/trust/v1\"\n{body}"), RecordError::UnknownSchema("modelreg/trust/v1".into())),
    ] {
        assert_eq!(parse(&text), Err(expected), "{text:?}");
    }
    // The schema line is TOML too: it cannot be overridden further down.
    let twice = format!("{VALID}schema = \"modelreg/register/v1\"\n");
    assert!(matches!(parse(&twice), Err(RecordError::Syntax { .. })), "{:?}", parse(&twice));
}

#[test]
fn size_and_encoding_are_checked_before_parsing() {
    let mut at_limit = VALID.to_owned();
    at_limit.push('#');
    at_limit.push_str(&" ".repeat(MAX_RECORD_BYTES - at_limit.len() - 1));
    at_limit.push('\n');
    assert_eq!(at_limit.len(), MAX_RECORD_BYTES);
    assert!(parse(&at_limit).is_ok(), "exactly the limit is allowed");
    at_limit.push('\n');
    assert_eq!(parse(&at_limit), Err(RecordError::TooLarge { size: MAX_RECORD_BYTES + 1 }));

    let mut latin1 = VALID.as_bytes().to_vec();
    latin1.extend_from_slice(b"# caf\xe9\n");
    assert_eq!(Record::parse(&latin1), Err(RecordError::NotUtf8));
}

#[test]
fn syntax_errors_carry_line_and_column() {
    let broken = VALID.replace("version = 2", "version = = 2");
    match parse(&broken) {
        Err(RecordError::Syntax { line, column, .. }) => assert_eq!((line, column), (8, 11)),
        other => panic!("{other:?}"),
    }
    let unknown = VALID.replace("version = 2\n", "version = 2\napproved = true\n");
    match parse(&unknown) {
        Err(RecordError::Syntax { line, message, .. }) => {
            assert_eq!(line, 9);
            assert!(message.contains("unknown field `approved`"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let nested_unknown = VALID.replace("size = 10\n", "size = 10\nexecutable = true\n");
    assert!(
        matches!(parse(&nested_unknown), Err(RecordError::Syntax { line: 17, .. })),
        "{:?}",
        parse(&nested_unknown)
    );
}

#[test]
fn cross_field_rules_hold_for_every_parsed_record() {
    let invalid = [
        VALID.replace("seq = 2", "seq = 0"),
        VALID.replace("seq = 2\n", "seq = 1\n"),
        VALID.replace("previous = \"blake3:0000000000000000000000000000000000000000000000000000000000000000\"\n", ""),
        format!(
            "{VALID}\n[[artifacts]]\npath = \"model.safetensors\"\ndigest = \"blake3:{}\"\nsize = 1\n",
            "1".repeat(64)
        ),
        format!(
            "{VALID}\n[[artifacts]]\npath = \"model.safetensors/x\"\ndigest = \"blake3:{}\"\nsize = 1\n",
            "1".repeat(64)
        ),
    ];
    for text in &invalid {
        assert!(matches!(parse(text), Err(RecordError::Invalid(_))), "{text}\n{:?}", parse(text));
    }
    for bad in [
        VALID.replace("auc = 0.94", "auc = nan"),
        VALID.replace("auc = 0.94", "auc = inf"),
        VALID.replace("auc = 0.94", "auc = -inf"),
        VALID.replace("auc = 0.94", "auc = \"0.94\""),
        VALID.replace("model = \"fraud-detector\"", "model = \"../evil\""),
        VALID.replace("model = \"fraud-detector\"", "model = \"Fraud\""),
        VALID.replace("path = \"model.safetensors\"", "path = \"../../etc/passwd\""),
        VALID.replace("path = \"model.safetensors\"", "path = \"/etc/passwd\""),
        VALID.replace("version = 2", "version = 0"),
        VALID.replace("version = 2", "version = -1"),
        VALID.replace("size = 10", "size = -1"),
        VALID.replace("2026-11-22T10:00:00Z", "2026-11-22T10:00:00.5Z"),
        VALID.replace("2026-11-22T10:00:00Z", "2026-11-22T10:00:00+01:00"),
        VALID.replace("blake3:6752", "blake3:6752e"),
        VALID.replace("blake3:6752", "sha256:6752"),
    ] {
        assert!(parse(&bad).is_err(), "accepted:\n{bad}");
    }
    let no_artifacts = VALID.split("[[artifacts]]").next().unwrap();
    assert!(parse(no_artifacts).is_err(), "a registration without artifacts was accepted");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    // Run on a thread with the default test stack: a recursive parser must bound its depth.
    for depth in [10_000, 400_000] {
        let arrays = format!("schema = \"modelreg/register/v1\"\ndeep = {}{}\n", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&arrays).is_err());
        let unclosed = format!("schema = \"modelreg/register/v1\"\ndeep = {}\n", "[".repeat(depth));
        assert!(parse(&unclosed).is_err());
        let tables = format!(
            "schema = \"modelreg/register/v1\"\ndeep = {}1{}\n",
            "{a = ".repeat(depth / 5),
            "}".repeat(depth / 5)
        );
        assert!(parse(&tables).is_err());
    }
}

// ---- property tests ----

fn model_name() -> impl Strategy<Value = ModelName> {
    "[a-z0-9](\\.?[a-z0-9_-]){0,31}".prop_map(|s| s.parse().expect("the strategy makes valid names"))
}

fn meta_key() -> impl Strategy<Value = MetaKey> {
    "[A-Za-z0-9._-]{1,20}".prop_map(|s| s.parse().expect("valid key"))
}

/// Any text at all: quotes, backslashes, newlines, control characters, non-ASCII.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,30}",
        prop::collection::vec(any::<char>(), 0..12).prop_map(String::from_iter),
        Just("\"\"\"'''\\\n\r\t\u{0}\u{7f}".to_owned()),
    ]
}

fn digest() -> impl Strategy<Value = Digest> {
    any::<[u8; 8]>().prop_map(|seed| Digest::of_bytes(&seed))
}

fn version() -> impl Strategy<Value = Version> {
    prop_oneof![1u64..100, 1u64..=i64::MAX as u64].prop_map(|v| Version::try_from(v).unwrap())
}

fn metric() -> impl Strategy<Value = Metric> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        -1.0f64..1.0,
        Just(0.0),
        Just(-0.0),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
        Just(5e-324),
        Just(1e15),
        Just(1e16),
        Just(123456789012345680000.0),
    ]
    .prop_map(|v| Metric::try_from(v).unwrap())
}

fn artifact_path() -> impl Strategy<Value = ArtifactPath> {
    prop::collection::vec("[A-Za-z0-9 ._#=+-]{1,10}", 1..4)
        // Drops what the path rules refuse (`.`/`..`, a trailing `.` or space, a leading `-`, devices).
        .prop_filter_map("a valid artifact path", |parts| parts.join("/").parse().ok())
}

fn artifacts() -> impl Strategy<Value = Vec<Artifact>> {
    prop::collection::btree_map(
        artifact_path(),
        (digest(), 0u64..=i64::MAX as u64, prop::option::of("[a-z]{1,10}")),
        1..5,
    )
    .prop_map(|files| {
        files
            .into_iter()
            .map(|(path, (digest, size, format))| {
                // A label agrees with what the name says, where the name says something.
                let format = format.map(|f| artifact_format(path.as_str()).map_or(f, str::to_owned));
                Artifact { path, digest, size, format }
            })
            .collect::<Vec<_>>()
    })
    // A path that is both a file and a directory is refused by validation; leave it out here.
    .prop_filter("no file is also a directory", |artifacts| {
        artifacts.iter().all(|a| !artifacts.iter().any(|b| b.path.as_str().starts_with(&format!("{}/", a.path))))
    })
}

fn lineage() -> impl Strategy<Value = Lineage> {
    let code = prop::option::of((prop::option::of(text()), "[0-9a-f]{40}", any::<bool>()))
        .prop_map(|c| c.map(|(repo, commit, dirty)| CodeRef { repo, commit, dirty }));
    let datasets = prop::collection::btree_map(meta_key(), (text(), prop::option::of(digest())), 0..3)
        .prop_map(|d| d.into_iter().map(|(name, (uri, digest))| DatasetRef { name, uri, digest }).collect());
    let parents = prop::collection::vec((model_name(), version(), digest()), 0..3)
        .prop_map(|p| p.into_iter().map(|(model, version, record)| ParentRef { model, version, record }).collect());
    (code, datasets, parents).prop_map(|(code, datasets, parents)| Lineage { code, datasets, parents })
}

prop_compose! {
    fn register_record()(
        model in model_name(),
        seq in prop_oneof![Just(1u64), 2u64..1_000_000, 2u64..=i64::MAX as u64],
        previous in digest(),
        created_at in 0u64..253_402_300_799,
        author in text(),
        signer in "[0-9a-f]{16}",
        version in version(),
        message in prop::option::of(text()),
        description in prop::option::of(text()),
        framework in prop::option::of(text()),
        tags in prop::collection::btree_map(meta_key(), text(), 0..4),
        metrics in prop::collection::btree_map(meta_key(), metric(), 0..4),
        params in prop::collection::btree_map(meta_key(), text(), 0..4),
        lineage in lineage(),
        artifacts in artifacts(),
    ) -> Record {
        Record::Register(Box::new(RegisterRecord {
            schema: RecordKind::Register.schema().to_owned(),
            model,
            seq,
            previous: (seq > 1).then_some(previous),
            created_at: Timestamp::from_unix_seconds(created_at),
            author,
            signer: signer.parse().unwrap(),
            version,
            message,
            description,
            framework,
            tags,
            metrics,
            params,
            lineage,
            artifacts,
            baseline_profile: None,
        }))
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn valid_records_round_trip_through_their_bytes(record in register_record()) {
        prop_assert_eq!(record.validate(), Ok(()));
        let bytes = record.to_bytes();
        let text = std::str::from_utf8(&bytes).unwrap();
        prop_assert!(text.starts_with("schema = \"modelreg/register/v1\"\n"), "{}", text);
        prop_assert_eq!(Record::parse(&bytes), Ok(record.clone()), "{}", text);
        // Serialisation is deterministic: the same record always has the same digest.
        prop_assert_eq!(record.to_bytes(), bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = Record::parse(&bytes);
    }

    #[test]
    fn arbitrary_text_after_a_valid_schema_line_never_panics(rest in "\\PC{0,300}") {
        let _ = parse(&format!("schema = \"modelreg/register/v1\"\n{rest}"));
    }

    #[test]
    fn damaged_valid_records_never_panic_and_stay_valid_if_accepted(
        record in register_record(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let mut bytes = record.to_bytes();
        for (at, byte, op) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ if i < bytes.len() => { bytes.remove(i); }
                _ => {}
            }
        }
        if let Ok(parsed) = Record::parse(&bytes) {
            // Whatever parses is valid, and starts with its schema line.
            prop_assert_eq!(parsed.validate(), Ok(()));
            prop_assert!(bytes.starts_with(b"schema = \"modelreg/register/v1\""));
        }
    }

    #[test]
    fn the_first_line_decides_the_kind(line in "\\PC{0,60}") {
        let text = format!("{line}\n{}", VALID.split_once('\n').unwrap().1);
        let result = parse(&text);
        if line == "schema = \"modelreg/register/v1\"" {
            prop_assert!(result.is_ok());
        } else {
            prop_assert!(result.is_err(), "accepted a record whose first line is {:?}", line);
        }
    }
}

#[test]
fn metrics_keep_their_exact_value() {
    let mut metrics = BTreeMap::new();
    for (i, v) in [0.1, 1.0 / 3.0, 1e-300, -2.5e300, 12345678.0, 0.0].into_iter().enumerate() {
        metrics.insert(format!("m{i}").parse::<MetaKey>().unwrap(), Metric::try_from(v).unwrap());
    }
    let Record::Register(mut register) = parse(VALID).unwrap() else { panic!("a register record") };
    register.metrics = metrics.clone();
    let bytes = Record::Register(register).to_bytes();
    let Record::Register(back) = Record::parse(&bytes).unwrap() else { panic!("a register record") };
    for (key, value) in metrics {
        assert_eq!(back.metrics[&key].get().to_bits(), value.get().to_bits(), "{key}");
    }
}

fn stage() -> impl Strategy<Value = Stage> {
    // Not `latest` or `v<number>`: those name versions.
    "[a-z][a-z0-9_-]{0,31}".prop_filter_map("a stage name", |s| s.parse().ok())
}

fn gates() -> impl Strategy<Value = Gates> {
    let requirement = (meta_key(), 0usize..5, -1e6f64..1e6).prop_map(|(metric, op, threshold)| {
        let symbol = [">", ">=", "<", "<=", "=="][op];
        format!("{metric} {symbol} {threshold}").parse::<Requirement>().unwrap()
    });
    let span =
        prop_oneof![Just("24h"), Just("7d"), Just("90m"), Just("1w 2d")].prop_map(|s| s.parse::<Span>().unwrap());
    (
        prop::option::of(stage()),
        prop::option::of(span.clone()),
        prop::collection::vec(requirement, 0..3),
        prop::option::of(span),
        0u32..5,
        any::<bool>(),
    )
        .prop_map(|(from, soak, require, no_drift_within, approvals, allow_self_approval)| Gates {
            from,
            soak,
            require,
            no_drift_within,
            approvals,
            allow_self_approval,
        })
}

prop_compose! {
    /// Any lifecycle record (seq ≥ 2: a model's first record is a registration).
    fn lifecycle_record()(
        model in model_name(),
        seq in 2u64..1_000_000,
        previous in digest(),
        created_at in 0u64..253_402_300_799,
        author in text(),
        version in version(),
        version_record in digest(),
        stage in stage(),
        message in prop::option::of(text().prop_filter("non-blank", |t| !t.trim().is_empty())),
        gates in gates(),
        flags in (any::<bool>(), any::<bool>()),
        kind in 0u8..7,
        target in "[a-z]{1,8}://[a-z0-9/._-]{1,40}",
        env in meta_key(),
        set in prop::collection::btree_map(meta_key(), text(), 1..3),
        whole_model in any::<bool>(),
    ) -> Record {
        let signer: KeyId = "f43fd158e0f275c5".parse().unwrap();
        let created_at = Timestamp::from_unix_seconds(created_at);
        let previous = Some(previous);
        let why = message.clone().unwrap_or_else(|| "retired".into());
        let archive = |kind: RecordKind| Box::new(ArchiveRecord {
            schema: kind.schema().into(), model: model.clone(), seq, previous, created_at,
            author: author.clone(), signer: signer.clone(),
            version: (!whole_model).then_some(version), version_record: (!whole_model).then_some(version_record),
            message: why.clone(),
        });
        let deployment = |kind: RecordKind| Box::new(DeploymentRecord {
            schema: kind.schema().into(), model: model.clone(), seq, previous, created_at,
            author: author.clone(), signer: signer.clone(), version, version_record,
            env: env.clone(), target: target.clone(), message: message.clone(),
        });
        match kind {
            0 => Record::Promote(Box::new(PromoteRecord {
                schema: RecordKind::Promote.schema().into(), model, seq, previous, created_at, author, signer,
                version, version_record, stage, message, replaces: None, rollback: flags.0, emergency: flags.1, gates,
            })),
            1 => Record::Demote(Box::new(DemoteRecord {
                schema: RecordKind::Demote.schema().into(), model, seq, previous, created_at, author, signer,
                version, version_record, stage, message,
            })),
            2 => Record::Archive(archive(RecordKind::Archive)),
            3 => Record::Restore(archive(RecordKind::Restore)),
            4 => Record::Deploy(deployment(RecordKind::Deploy)),
            5 => Record::Undeploy(deployment(RecordKind::Undeploy)),
            _ => Record::Tag(Box::new(TagRecord {
                schema: RecordKind::Tag.schema().into(), model, seq, previous, created_at, author, signer,
                version, version_record, set, unset: Default::default(), message,
            })),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn lifecycle_records_round_trip_through_their_bytes(record in lifecycle_record()) {
        prop_assert_eq!(record.validate(), Ok(()));
        let bytes = record.to_bytes();
        let text = std::str::from_utf8(&bytes).unwrap();
        prop_assert!(text.starts_with(&format!("schema = \"{}\"\n", record.kind().schema())), "{}", text);
        prop_assert_eq!(Record::parse(&bytes), Ok(record.clone()), "{}", text);
    }
}

#[test]
fn lifecycle_records_keep_their_shape() {
    let header = "model = \"m\"\nseq = 3\nprevious = \"blake3:0000000000000000000000000000000000000000000000000000000000000000\"\ncreated_at = \"2026-11-22T10:00:00Z\"\nauthor = \"A\"\nsigner = \"f43fd158e0f275c5\"\n";
    let digest = "blake3:1111111111111111111111111111111111111111111111111111111111111111";
    let bad = [
        // A version without its record digest (and the reverse) cannot be judged against the chain.
        format!("schema = \"modelreg/archive/v1\"\n{header}version = 1\nmessage = \"x\"\n"),
        // Archiving says why.
        format!("schema = \"modelreg/archive/v1\"\n{header}message = \"  \"\n"),
        // A tag record changes something, and never sets and unsets one key.
        format!("schema = \"modelreg/tag/v1\"\n{header}version = 1\nversion_record = \"{digest}\"\n"),
        format!(
            "schema = \"modelreg/tag/v1\"\n{header}version = 1\nversion_record = \"{digest}\"\nunset = [\"a\"]\n[set]\na = \"b\"\n"
        ),
        // A deployment target is a printable URI.
        format!(
            "schema = \"modelreg/deploy/v1\"\n{header}version = 1\nversion_record = \"{digest}\"\nenv = \"prod\"\ntarget = \"\"\n"
        ),
        // Gates parse strictly: a requirement is `metric OP number`, a soak a duration.
        format!(
            "schema = \"modelreg/promote/v1\"\n{header}version = 1\nversion_record = \"{digest}\"\nstage = \"prod\"\n[gates]\nrequire = [\"auc high\"]\n"
        ),
        format!(
            "schema = \"modelreg/promote/v1\"\n{header}version = 1\nversion_record = \"{digest}\"\nstage = \"prod\"\n[gates]\nsoak = \"soon\"\n"
        ),
        // A model's first record registers a version.
        format!(
            "schema = \"modelreg/demote/v1\"\nmodel = \"m\"\nseq = 1\ncreated_at = \"2026-11-22T10:00:00Z\"\nauthor = \"A\"\nsigner = \"f43fd158e0f275c5\"\nversion = 1\nversion_record = \"{digest}\"\nstage = \"prod\"\n"
        ),
    ];
    for text in &bad {
        assert!(parse(text).is_err(), "accepted:\n{text}");
    }
    let good = format!("schema = \"modelreg/archive/v1\"\n{header}message = \"whole model\"\n");
    let Record::Archive(archive) = parse(&good).unwrap() else { panic!("an archive record") };
    assert_eq!(archive.version, None);
}

#[test]
fn a_label_may_not_hide_what_the_name_says() {
    let lie = VALID.replace("path = \"model.safetensors\"", "path = \"model.pkl\"");
    let err = parse(&lie).unwrap_err().to_string();
    assert!(err.contains("is labelled format `safetensors`, but its name says `pickle`"), "{err}");
    // A more cautious label than the name's (bytes showed a pickle) is the truth, and loads code.
    let cautious = VALID.replace("format = \"safetensors\"", "format = \"pickle\"");
    let Record::Register(register) = parse(&cautious).unwrap() else { panic!("a register record") };
    assert!(register.artifacts[0].loads_code());
    // A name that says nothing leaves the label to the bytes (checked by `check --artifacts`).
    let unnamed = VALID.replace("path = \"model.safetensors\"", "path = \"weights.bin\"");
    let Record::Register(register) = parse(&unnamed).unwrap() else { panic!("a register record") };
    assert!(!register.artifacts[0].loads_code());
}

#[test]
fn formats_come_from_the_bytes_before_the_name_when_they_load_code() {
    let pickle = b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00\x8c\x07weights\x94.";
    assert_eq!(format_of_bytes(pickle), Some("pickle"));
    assert_eq!(derive_format("model.safetensors", pickle), Some("pickle"));
    // torch.save's zip: the first member is `<name>/data.pkl`.
    let mut torch = b"PK\x03\x04".to_vec();
    torch.extend_from_slice(&[0; 22]);
    torch.extend_from_slice(&(14u16).to_le_bytes());
    torch.extend_from_slice(&[0, 0]);
    torch.extend_from_slice(b"model/data.pkl");
    assert_eq!(derive_format("model.onnx", &torch), Some("pytorch"));
    let mut plain_zip = torch.clone();
    plain_zip.truncate(30);
    plain_zip.extend_from_slice(b"model/readme.t");
    assert_eq!(format_of_bytes(&plain_zip), None);
    let mut safetensors = 2u64.to_le_bytes().to_vec();
    safetensors.extend_from_slice(b"{}");
    assert_eq!(derive_format("weights", &safetensors), Some("safetensors"));
    assert_eq!(derive_format("model.onnx", &safetensors), Some("onnx"), "the name decides between safe formats");
    assert_eq!(derive_format("notes.txt", b"hello"), Some("text"));
    assert_eq!(derive_format("blob", b""), None);
    assert_eq!(format_of_bytes(b"GGUF\x03\x00"), Some("gguf"));
}
