//! Recursive descent over the tokens; field names and operand types are checked here.

use super::lex::{Kind, Op, Token, tokenize};
use super::{Expr, Field, FieldType, QueryError, Value};

const FIELDS: &str =
    "name, version, framework, description, author, created, stage, archived, tag.KEY, metric.KEY, param.KEY";

/// Nesting deeper than this is refused rather than risking the stack on hostile input.
const MAX_DEPTH: usize = 64;

pub fn parse(text: &str) -> Result<Expr, QueryError> {
    let result = tokenize(text).and_then(|tokens| {
        let mut parser = Parser { text, tokens, pos: 0, depth: 0 };
        let expr = parser.or()?;
        let next = parser.peek();
        match next.kind {
            Kind::End => Ok(expr),
            Kind::RParen => Err(QueryError::new(next.start, next.end, "unmatched `)`")),
            _ => Err(QueryError::new(
                next.start,
                next.end,
                format!("expected `and`, `or` or the end of the query, found {}", next.describe(text)),
            )),
        }
    });
    result.map_err(|e| e.locate(text))
}

struct Parser<'a> {
    text: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.tokens[self.pos]
    }

    fn next(&mut self) -> Token {
        let token = self.tokens[self.pos].clone();
        if token.kind != Kind::End {
            self.pos += 1;
        }
        token
    }

    fn at_keyword(&self, keyword: &str) -> bool {
        matches!(&self.peek().kind, Kind::Word(w) if w == keyword)
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        let mut expr = self.and()?;
        while self.at_keyword("or") {
            self.next();
            expr = Expr::Or(Box::new(expr), Box::new(self.and()?));
        }
        Ok(expr)
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut expr = self.not()?;
        while self.at_keyword("and") {
            self.next();
            expr = Expr::And(Box::new(expr), Box::new(self.not()?));
        }
        Ok(expr)
    }

    fn not(&mut self) -> Result<Expr, QueryError> {
        if self.at_keyword("not") {
            let token = self.next();
            self.descend(&token)?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn descend(&mut self, token: &Token) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(QueryError::new(token.start, token.end, format!("nested more than {MAX_DEPTH} deep")));
        }
        Ok(())
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        let token = self.next();
        match &token.kind {
            Kind::LParen => {
                self.descend(&token)?;
                let inner = self.or()?;
                self.depth -= 1;
                let close = self.next();
                if close.kind != Kind::RParen {
                    return Err(QueryError::new(
                        close.start,
                        close.end,
                        format!(
                            "expected `)` to close the `(` at column {}, found {}",
                            token.start + 1,
                            close.describe(self.text)
                        ),
                    ));
                }
                Ok(inner)
            }
            Kind::Word(word) if word == "has" => {
                let field_token = self.next();
                match &field_token.kind {
                    Kind::Word(name) => Ok(Expr::Has(field(&field_token, name)?)),
                    _ => Err(QueryError::new(
                        field_token.start,
                        field_token.end,
                        format!("expected a field after `has`, found {}", field_token.describe(self.text)),
                    )),
                }
            }
            Kind::Word(word) if matches!(word.as_str(), "and" | "or" | "true" | "false") => {
                Err(QueryError::new(token.start, token.end, format!("expected a condition, found `{word}`")))
            }
            Kind::Word(name) => {
                let field = field(&token, name)?;
                let op_token = self.peek().clone();
                let Kind::Op(op) = op_token.kind else {
                    // A boolean field alone is a condition: `archived`, `not archived`.
                    if field.field_type() == FieldType::Bool {
                        return Ok(Expr::Compare { field, op: Op::Eq, value: Value::Bool(true) });
                    }
                    return Err(QueryError::new(
                        op_token.start,
                        op_token.end,
                        format!(
                            "expected an operator (= != < <= > >= ~) after `{field}`, found {}",
                            op_token.describe(self.text)
                        ),
                    ));
                };
                self.next();
                let value_token = self.next();
                let value = value(self.text, &field, op, &op_token, &value_token)?;
                Ok(Expr::Compare { field, op, value })
            }
            Kind::RParen => Err(QueryError::new(token.start, token.end, "unmatched `)`")),
            _ => Err(QueryError::new(
                token.start,
                token.end,
                format!("expected a condition such as `name = \"x\"`, found {}", token.describe(self.text)),
            )),
        }
    }
}

fn field(token: &Token, name: &str) -> Result<Field, QueryError> {
    Field::from_name(name)
        .ok_or_else(|| QueryError::new(token.start, token.end, format!("unknown field `{name}` (fields: {FIELDS})")))
}

/// The operand of `field op`, checked against the field's type.
fn value(text: &str, field: &Field, op: Op, op_token: &Token, token: &Token) -> Result<Value, QueryError> {
    let err = |message: String| QueryError::new(token.start, token.end, message);
    let literal = match &token.kind {
        Kind::Str(s) => Literal::Text(s.clone()),
        Kind::Literal(raw) => match raw.parse::<f64>() {
            Ok(n) if n.is_finite() => Literal::Number(n),
            _ => match parse_time(raw) {
                Some((start, end)) => Literal::Time(start, end),
                None => return Err(err(format!("`{raw}` is neither a number nor a date (2026-11-01, RFC 3339)"))),
            },
        },
        Kind::Word(w) if w == "true" || w == "false" => Literal::Bool(w == "true"),
        _ => {
            return Err(err(format!(
                "expected a value after `{}`, found {}",
                &text[op_token.start..op_token.end],
                token.describe(text)
            )));
        }
    };
    let ty = field.field_type();
    let op_err = |what: &str| {
        QueryError::new(op_token.start, op_token.end, format!("`{field}` is {what}: `{}` does not apply", op.as_str()))
    };
    match (ty, op) {
        (FieldType::Bool, Op::Eq | Op::Ne) => {}
        (FieldType::Bool, _) => return Err(op_err("true or false")),
        (FieldType::TextSet, Op::Eq | Op::Ne | Op::Glob) => {}
        (FieldType::TextSet, _) => return Err(op_err("a set of stages")),
        (FieldType::Number | FieldType::Time, Op::Glob) => return Err(op_err("not text")),
        _ => {}
    }
    let found = literal.describe();
    let mismatch = |expected: &str| err(format!("`{field}` compares with {expected}, not {found}"));
    Ok(match (ty, literal) {
        (FieldType::Text | FieldType::TextSet | FieldType::TextOrNumber, Literal::Text(s)) if op == Op::Glob => {
            Value::Glob(s)
        }
        (FieldType::Text | FieldType::TextSet | FieldType::TextOrNumber, Literal::Text(s)) => Value::Text(s),
        (FieldType::Text | FieldType::TextSet, _) => return Err(mismatch("a \"string\"")),
        (FieldType::TextOrNumber, Literal::Number(n)) if op != Op::Glob => Value::Number(n),
        (FieldType::TextOrNumber, _) if op == Op::Glob => return Err(mismatch("a \"pattern\"")),
        (FieldType::TextOrNumber, _) => return Err(mismatch("a \"string\" or a number")),
        (FieldType::Number, Literal::Number(n)) => Value::Number(n),
        (FieldType::Number, _) => return Err(mismatch("a number")),
        (FieldType::Time, Literal::Time(start, end)) => Value::Time { start, end },
        (FieldType::Time, Literal::Text(s)) => match parse_time(&s) {
            Some((start, end)) => Value::Time { start, end },
            None => return Err(err(format!("\"{s}\" is not a date (2026-11-01) or an RFC 3339 time"))),
        },
        (FieldType::Time, _) => return Err(mismatch("a date (2026-11-01) or an RFC 3339 time")),
        (FieldType::Bool, Literal::Bool(b)) => Value::Bool(b),
        (FieldType::Bool, _) => return Err(mismatch("true or false")),
    })
}

enum Literal {
    Text(String),
    Number(f64),
    Time(u64, u64),
    Bool(bool),
}

impl Literal {
    fn describe(&self) -> &'static str {
        match self {
            Literal::Text(_) => "a string",
            Literal::Number(_) => "a number",
            Literal::Time(..) => "a date",
            Literal::Bool(_) => "a boolean",
        }
    }
}

/// `2026-11-01` (the whole UTC day) or an RFC 3339 time (that second), as `[start, end)`.
fn parse_time(raw: &str) -> Option<(u64, u64)> {
    let unix = |t: std::time::SystemTime| t.duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_secs());
    if raw.len() == 10 {
        let start = unix(humantime::parse_rfc3339(&format!("{raw}T00:00:00Z")).ok()?)?;
        return Some((start, start + 86_400));
    }
    let start = unix(humantime::parse_rfc3339(raw).ok()?)?;
    Some((start, start + 1))
}
