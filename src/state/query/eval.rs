//! Evaluating a type-checked query on one version. A comparison with a value the version lacks is
//! false (for `!=` too): `not tag.team = "risk"` is how to include versions without the tag.

use std::cmp::Ordering;

use super::{Expr, Field, Op, Value};
use crate::state::search::SearchDoc;

pub fn eval(expr: &Expr, doc: &SearchDoc) -> bool {
    match expr {
        Expr::And(a, b) => eval(a, doc) && eval(b, doc),
        Expr::Or(a, b) => eval(a, doc) || eval(b, doc),
        Expr::Not(inner) => !eval(inner, doc),
        Expr::Has(field) => has(field, doc),
        Expr::Compare { field, op, value } => compare(field, *op, value, doc),
    }
}

fn has(field: &Field, doc: &SearchDoc) -> bool {
    match field {
        Field::Framework => doc.framework.is_some(),
        Field::Description => doc.description.is_some(),
        Field::Stage => !doc.stages.is_empty(),
        Field::Tag(key) => SearchDoc::lookup(&doc.tags, key).is_some(),
        Field::Metric(key) => SearchDoc::lookup(&doc.metrics, key).is_some(),
        Field::Param(key) => SearchDoc::lookup(&doc.params, key).is_some(),
        Field::Name | Field::Version | Field::Author | Field::Created | Field::Archived => true,
    }
}

fn text<'a>(field: &Field, doc: &'a SearchDoc) -> Option<&'a str> {
    match field {
        Field::Name => Some(doc.name.as_str()),
        Field::Framework => doc.framework.as_deref(),
        Field::Description => doc.description.as_deref(),
        Field::Author => Some(&doc.author),
        Field::Tag(key) => SearchDoc::lookup(&doc.tags, key).map(String::as_str),
        Field::Param(key) => SearchDoc::lookup(&doc.params, key).map(String::as_str),
        _ => None,
    }
}

fn number(field: &Field, doc: &SearchDoc) -> Option<f64> {
    match field {
        Field::Version => Some(doc.version.get() as f64),
        Field::Metric(key) => SearchDoc::lookup(&doc.metrics, key).copied(),
        Field::Param(key) => SearchDoc::lookup(&doc.params, key).and_then(|v| v.trim().parse().ok()),
        _ => None,
    }
}

fn ordered(op: Op, ordering: Option<Ordering>) -> bool {
    let Some(ordering) = ordering else { return false };
    match op {
        Op::Eq => ordering == Ordering::Equal,
        Op::Ne => ordering != Ordering::Equal,
        Op::Lt => ordering == Ordering::Less,
        Op::Le => ordering != Ordering::Greater,
        Op::Gt => ordering == Ordering::Greater,
        Op::Ge => ordering != Ordering::Less,
        Op::Glob => false,
    }
}

fn compare(field: &Field, op: Op, value: &Value, doc: &SearchDoc) -> bool {
    match (field, value) {
        // A version's stages are a set: `=` and `~` ask whether one of them matches, `!=` whether none does.
        (Field::Stage, Value::Text(want)) => {
            let any = doc.stages.iter().any(|s| s.as_str() == want);
            if op == Op::Ne { !any } else { any }
        }
        (Field::Stage, Value::Glob(pattern)) => doc.stages.iter().any(|s| glob(pattern, s.as_str())),
        (Field::Archived, Value::Bool(want)) => (doc.archived == *want) == (op == Op::Eq),
        (Field::Created, Value::Time { start, end }) => {
            let t = doc.created_at.unix_seconds();
            // The literal is a range (a day, or a second): `=` means within it, `<` before it, `>` after it.
            match op {
                Op::Eq => (*start..*end).contains(&t),
                Op::Ne => !(*start..*end).contains(&t),
                Op::Lt => t < *start,
                Op::Le => t < *end,
                Op::Gt => t >= *end,
                Op::Ge => t >= *start,
                Op::Glob => false,
            }
        }
        (_, Value::Glob(pattern)) => text(field, doc).is_some_and(|t| glob(pattern, t)),
        (_, Value::Text(want)) => ordered(op, text(field, doc).map(|t| t.cmp(want.as_str()))),
        (_, Value::Number(want)) => ordered(op, number(field, doc).and_then(|n| n.partial_cmp(want))),
        // The parser only builds the pairs above.
        _ => false,
    }
}

/// Whole-string glob: `*` matches any run of characters (including none), `?` exactly one.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    // Where the last `*` was, and the text position it currently absorbs up to: on a mismatch the star
    // takes one more character (linear backtracking, no recursion).
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && p[pi] == t[ti])) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}
