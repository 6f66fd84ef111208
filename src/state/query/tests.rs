use proptest::prelude::*;

use super::eval::glob;
use super::*;
use crate::record::Timestamp;

/// A version as search sees it, built by hand: stages and archived flags included, which no record
/// kind produces yet.
fn doc(name: &str, version: u64) -> SearchDoc {
    SearchDoc {
        name: name.parse().unwrap(),
        version: version.try_into().unwrap(),
        created_at: "2026-11-05T12:00:00Z".parse::<Timestamp>().unwrap(),
        author: "Alice <alice@example.com>".into(),
        framework: Some("sklearn".into()),
        description: None,
        tags: vec![("team".into(), "risk".into())],
        metrics: vec![("auc".into(), 0.93), ("recall".into(), 0.8)],
        params: vec![("depth".into(), "12".into()), ("lr".into(), "0.01".into())],
        stages: Vec::new(),
        archived: false,
    }
}

fn matches(query: &str, doc: &SearchDoc) -> bool {
    Query::parse(query).unwrap_or_else(|e| panic!("{query}: {e}")).matches(doc)
}

fn error(query: &str) -> String {
    let err = Query::parse(query).expect_err(query);
    format!("{err}\n{}", err.caret(query))
}

#[test]
fn the_issue_example() {
    let mut d = doc("fraud-detector", 4);
    let query = r#"stage = "production" and tag.team = "risk" and metric.auc > 0.9"#;
    assert!(!matches(query, &d));
    d.stages = vec!["staging".parse().unwrap(), "production".parse().unwrap()];
    assert!(matches(query, &d));
    d.metrics[0].1 = 0.9;
    assert!(!matches(query, &d), "> is strict");
}

#[test]
fn comparisons_on_every_field_type() {
    let d = doc("fraud-detector", 4);
    for yes in [
        r#"name = "fraud-detector""#,
        r#"name != "other""#,
        r#"name < "g""#,
        "version >= 4",
        "version == 4",
        "metric.recall <= 0.8",
        r#"param.lr = "0.01""#,
        "param.lr < 0.1",
        "param.depth > 9",
        r#"framework ~ "sk*""#,
        r#"author ~ "*<alice@*""#,
        r#"tag.team ~ "r?sk""#,
        "created > 2026-11-04",
        "created = 2026-11-05",
        "created <= 2026-11-05",
        "created >= 2026-11-05T12:00:00Z",
        r#"created < "2026-11-06""#,
        "has metric.auc",
        "has tag.team and has framework",
        "archived = false",
        "not archived",
    ] {
        assert!(matches(yes, &d), "{yes}");
    }
    for no in [
        "version < 4",
        r#"param.lr > "1""#,
        "created > 2026-11-05",
        "created < 2026-11-05",
        "created = 2026-11-05T12:00:01Z",
        r#"framework ~ "sk""#,
        "archived",
        "has description",
        "has stage",
    ] {
        assert!(!matches(no, &d), "{no}");
    }
}

#[test]
fn a_missing_value_makes_every_comparison_false() {
    let d = doc("m", 1);
    for query in [
        "metric.f1 > 0",
        "metric.f1 < 0",
        "metric.f1 != 1",
        r#"tag.owner != "x""#,
        r#"description = "x""#,
        r#"description != "x""#,
        "param.missing = 1",
    ] {
        assert!(!matches(query, &d), "{query}");
    }
    assert!(matches(r#"not tag.owner = "x""#, &d));
    // A parameter that is not a number never compares numerically.
    let mut d = doc("m", 1);
    d.params = vec![("solver".into(), "adam".into())];
    assert!(!matches("param.solver > 0", &d) && !matches("param.solver != 0", &d));
}

#[test]
fn stages_are_a_set_and_archived_is_a_flag() {
    let mut d = doc("m", 1);
    assert!(matches(r#"stage != "production""#, &d));
    d.stages = vec!["staging".parse().unwrap(), "production".parse().unwrap()];
    assert!(matches(r#"stage = "staging""#, &d) && matches(r#"stage = "production""#, &d));
    assert!(!matches(r#"stage != "production""#, &d));
    assert!(matches(r#"stage ~ "prod*""#, &d) && matches("has stage", &d));
    d.archived = true;
    assert!(matches("archived", &d) && matches("archived = true", &d) && matches("archived != false", &d));
    assert!(!matches("not archived", &d));
}

#[test]
fn precedence_not_and_or() {
    let d = doc("m", 1);
    // and binds tighter than or; not tighter than and.
    assert!(matches(r#"name = "x" and version = 9 or version = 1"#, &d));
    assert!(!matches(r#"name = "x" and (version = 9 or version = 1)"#, &d));
    assert!(matches(r#"not name = "x" and version = 1"#, &d));
    assert!(!matches(r#"not (name = "m" and version = 1)"#, &d));
    assert!(matches("not not version = 1", &d));
}

#[test]
fn strings_with_escapes_and_keys_with_dots() {
    let mut d = doc("m", 1);
    d.description = Some(r#"say "hi" \ bye"#.into());
    d.metrics.push(("val.auc".into(), 0.5));
    d.metrics.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(matches(r#"description = "say \"hi\" \\ bye""#, &d));
    assert!(matches("metric.val.auc = 0.5", &d));
}

#[test]
fn errors_point_at_the_column() {
    insta::assert_snapshot!(error("metric.auc >"), @r"
    query:1:13: expected a value after `>`, found the end of the query
    metric.auc >
                ^
    ");
    insta::assert_snapshot!(error(r#"tag.team = "risk" and metrc.auc > 0.9"#), @r#"
    query:1:23: unknown field `metrc.auc` (fields: name, version, framework, description, author, created, stage, archived, tag.KEY, metric.KEY, param.KEY)
    tag.team = "risk" and metrc.auc > 0.9
                          ^^^^^^^^^
    "#);
    insta::assert_snapshot!(error(r#"metric.auc > "x""#), @r#"
    query:1:14: `metric.auc` compares with a number, not a string
    metric.auc > "x"
                 ^^^
    "#);
    insta::assert_snapshot!(error(r#"(name = "a" or version = 2"#), @r#"
    query:1:27: expected `)` to close the `(` at column 1, found the end of the query
    (name = "a" or version = 2
                              ^
    "#);
}

#[test]
fn every_kind_of_error_has_a_message() {
    for (query, message) in [
        ("", "query:1:1: expected a condition such as `name = \"x\"`, found the end of the query"),
        ("name", "query:1:5: expected an operator (= != < <= > >= ~) after `name`, found the end of the query"),
        (r#"name = "x" version = 1"#, "query:1:12: expected `and`, `or` or the end of the query, found `version`"),
        (r#"name = "x")"#, "query:1:11: unmatched `)`"),
        (r#"name = "x"#, "query:1:8: unterminated string: a `\"` is missing"),
        (r#"name = "\n""#, "query:1:9: only `\\\"` and `\\\\` are escapes in a string"),
        ("name ! 1", "query:1:6: `!` is not an operator; write `not` or `!=`"),
        ("name = 'x'", "query:1:8: unexpected character `'`"),
        ("version > 1.2.3", "query:1:11: `1.2.3` is neither a number nor a date (2026-11-01, RFC 3339)"),
        ("created > 2026-13-01", "query:1:11: `2026-13-01` is neither a number nor a date (2026-11-01, RFC 3339)"),
        ("created > 5", "query:1:11: `created` compares with a date (2026-11-01) or an RFC 3339 time, not a number"),
        ("metric.auc ~ \"0.9*\"", "query:1:12: `metric.auc` is not text: `~` does not apply"),
        ("stage > \"a\"", "query:1:7: `stage` is a set of stages: `>` does not apply"),
        ("archived < true", "query:1:10: `archived` is true or false: `<` does not apply"),
        ("archived = 1", "query:1:12: `archived` compares with true or false, not a number"),
        ("param.lr ~ 1", "query:1:12: `param.lr` compares with a \"pattern\", not a number"),
        ("has 3", "query:1:5: expected a field after `has`, found `3`"),
        (
            "tag. = \"x\"",
            "query:1:1: unknown field `tag.` (fields: name, version, framework, description, author, created, stage, archived, tag.KEY, metric.KEY, param.KEY)",
        ),
        ("and", "query:1:1: expected a condition, found `and`"),
        ("name = \"é\" and é", "query:1:16: unexpected character `é`"),
    ] {
        assert_eq!(Query::parse(query).expect_err(query).to_string(), message, "{query}");
    }
}

#[test]
fn deep_nesting_is_refused_not_overflowed() {
    let query = format!("{}version = 1{}", "(".repeat(100), ")".repeat(100));
    assert!(Query::parse(&query).unwrap_err().message.contains("nested more than"));
    let query = format!("{}archived", "not ".repeat(100));
    assert!(Query::parse(&query).unwrap_err().message.contains("nested more than"));
    assert!(Query::parse(&format!("{}version = 1{}", "(".repeat(60), ")".repeat(60))).is_ok());
}

#[test]
fn globs() {
    for (pattern, text, expected) in [
        ("*", "", true),
        ("a*", "abc", true),
        ("*c", "abc", true),
        ("a*c", "abbbc", true),
        ("a*b*c", "axbxxc", true),
        ("a?c", "abc", true),
        ("a?c", "ac", false),
        ("abc", "abcd", false),
        ("*ab", "aab", true),
        ("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaa", false),
        ("é*", "éclair", true),
    ] {
        assert_eq!(glob(pattern, text), expected, "{pattern} ~ {text}");
    }
}

proptest! {
    #[test]
    fn parsing_never_panics(query in ".{0,80}") {
        if let Err(e) = Query::parse(&query) {
            prop_assert!(e.start <= query.len() && e.column >= 1);
            let _ = e.caret(&query);
        }
    }

    #[test]
    fn parsing_query_like_text_never_panics(query in r#"(\(|\)|not |and |or |has |name|metric\.auc|created|stage|[=<>!~]=?|"[a-z]*"|-?[0-9.e-]+| )*"#) {
        if let Err(e) = Query::parse(&query) {
            prop_assert!(e.start <= query.len());
            let _ = e.caret(&query);
        }
    }
}
