//! The search query language: a small hand-written lexer and recursive-descent parser (modelled on
//! jj's revsets) that turns `stage = "production" and metric.auc > 0.9` into a typed [`Query`], and an
//! evaluator over [`SearchDoc`]s.
//!
//! Guarantees: parsing never panics on any input; every error carries the byte span it is about, so
//! the CLI can point at the column; fields and operand types are checked when the query is parsed, so
//! evaluation cannot fail (a comparison with a value a version lacks is simply false).
//!
//! ```text
//! query      := or
//! or         := and ("or" and)*
//! and        := not ("and" not)*
//! not        := "not" not | primary
//! primary    := "(" query ")" | "has" FIELD | FIELD OP VALUE | BOOL_FIELD
//! OP         := "=" | "!=" | "<" | "<=" | ">" | ">=" | "~"
//! VALUE      := "string" | NUMBER | DATE | true | false
//! FIELD      := name | version | framework | description | author | created | stage | archived
//!             | tag.KEY | metric.KEY | param.KEY
//! ```

mod eval;
mod lex;
mod parse;
#[cfg(test)]
mod tests;

use std::fmt;

pub(crate) use lex::Op;

use super::search::SearchDoc;

/// A parsed, type-checked query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    expr: Expr,
}

impl Query {
    /// Parses and type-checks a query; the error carries the span, line and column it is about.
    pub fn parse(text: &str) -> Result<Query, QueryError> {
        Ok(Query { expr: parse::parse(text)? })
    }

    /// Does this version match?
    pub fn matches(&self, doc: &SearchDoc) -> bool {
        eval::eval(&self.expr, doc)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Has(Field),
    Compare { field: Field, op: Op, value: Value },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Field {
    Name,
    Version,
    Framework,
    Description,
    Author,
    Created,
    Stage,
    Archived,
    Tag(String),
    Metric(String),
    Param(String),
}

/// What values a field compares with, and by which operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldType {
    Text,
    /// A set of strings (a version may be in several stages): `=`, `!=` and `~` only.
    TextSet,
    Number,
    /// Parameters are strings as written; a number literal compares them numerically.
    TextOrNumber,
    Time,
    Bool,
}

impl Field {
    pub(crate) fn from_name(name: &str) -> Option<Field> {
        let field = match name {
            "name" => Field::Name,
            "version" => Field::Version,
            "framework" => Field::Framework,
            "description" => Field::Description,
            "author" => Field::Author,
            "created" => Field::Created,
            "stage" => Field::Stage,
            "archived" => Field::Archived,
            _ => {
                let (prefix, key) = name.split_once('.')?;
                if key.is_empty() || key.parse::<crate::record::MetaKey>().is_err() {
                    return None;
                }
                match prefix {
                    "tag" => Field::Tag(key.to_owned()),
                    "metric" => Field::Metric(key.to_owned()),
                    "param" => Field::Param(key.to_owned()),
                    _ => return None,
                }
            }
        };
        Some(field)
    }

    pub(crate) fn field_type(&self) -> FieldType {
        match self {
            Field::Name | Field::Framework | Field::Description | Field::Author | Field::Tag(_) => FieldType::Text,
            Field::Stage => FieldType::TextSet,
            Field::Version | Field::Metric(_) => FieldType::Number,
            Field::Param(_) => FieldType::TextOrNumber,
            Field::Created => FieldType::Time,
            Field::Archived => FieldType::Bool,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Field::Name => f.write_str("name"),
            Field::Version => f.write_str("version"),
            Field::Framework => f.write_str("framework"),
            Field::Description => f.write_str("description"),
            Field::Author => f.write_str("author"),
            Field::Created => f.write_str("created"),
            Field::Stage => f.write_str("stage"),
            Field::Archived => f.write_str("archived"),
            Field::Tag(key) => write!(f, "tag.{key}"),
            Field::Metric(key) => write!(f, "metric.{key}"),
            Field::Param(key) => write!(f, "param.{key}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Text(String),
    /// A `~` pattern: `*` any run of characters, `?` one character.
    Glob(String),
    Number(f64),
    Bool(bool),
    /// An instant range `[start, end)` in Unix seconds: a whole day for `2026-11-01`, one second for
    /// an RFC 3339 timestamp (records have one-second precision).
    Time {
        start: u64,
        end: u64,
    },
}

/// A query that does not parse or does not type-check, with the byte span it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("query:{line}:{column}: {message}")]
pub struct QueryError {
    /// Byte offset in the query where the span starts.
    pub start: usize,
    /// Byte offset just past the span (equal to `start` at the end of input).
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// 1-based column of `start`, in characters.
    pub column: usize,
    /// What is wrong, without the position.
    pub message: String,
}

impl QueryError {
    fn new(start: usize, end: usize, message: impl Into<String>) -> QueryError {
        // Line and column are filled in by `parse`, which has the text.
        QueryError { start, end, line: 1, column: 1, message: message.into() }
    }

    fn locate(mut self, text: &str) -> QueryError {
        let before = &text[..self.start.min(text.len())];
        self.line = before.matches('\n').count() + 1;
        self.column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        self
    }

    /// The query's line the error is on, and a caret line under the span (for terminals).
    pub fn caret(&self, text: &str) -> String {
        let line = text.lines().nth(self.line - 1).unwrap_or("");
        let line_start = text.lines().take(self.line - 1).map(|l| l.len() + 1).sum::<usize>();
        let end = self.end.max(self.start + 1).min(line_start + line.len() + 1);
        let width = text.get(self.start..end.min(text.len())).map_or(1, |s| s.chars().count().max(1));
        format!("{line}\n{}{}", " ".repeat(self.column - 1), "^".repeat(width))
    }
}
