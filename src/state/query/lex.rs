//! The query lexer: bytes to tokens, each with the byte span it came from so every later error can
//! point at its column.

use super::QueryError;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `~`: a glob match (`*`, `?`) on text fields.
    Glob,
}

impl Op {
    /// The operator as written in a query.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Glob => "~",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    LParen,
    RParen,
    Op(Op),
    /// A field, a keyword (`and`, `or`, `not`, `has`, `true`, `false`).
    Word(String),
    /// A double-quoted string, unescaped.
    Str(String),
    /// A number or a date, as written (starts with a digit or `-`).
    Literal(String),
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: Kind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// How the token reads in a message.
    pub fn describe(&self, query: &str) -> String {
        match self.kind {
            Kind::End => "the end of the query".into(),
            _ => format!("`{}`", &query[self.start..self.end]),
        }
    }
}

fn is_word_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// Field paths like `tag.team-name` and `metric.val.auc`: meta keys allow `.`, `_` and `-`.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// Numbers (`0.9`, `-1`, `1e-3`) and dates (`2026-11-01`, `2026-11-01T10:00:00Z`).
fn is_literal_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | ':')
}

pub fn tokenize(query: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut chars = query.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let single = |kind| Token { kind, start, end: start + 1 };
        let token = match c {
            '(' => {
                chars.next();
                single(Kind::LParen)
            }
            ')' => {
                chars.next();
                single(Kind::RParen)
            }
            '~' => {
                chars.next();
                single(Kind::Op(Op::Glob))
            }
            '=' => {
                chars.next();
                // `==` reads the same as `=`: a common habit, and unambiguous.
                let end = if chars.next_if(|&(_, c)| c == '=').is_some() { start + 2 } else { start + 1 };
                Token { kind: Kind::Op(Op::Eq), start, end }
            }
            '!' | '<' | '>' => {
                chars.next();
                let with_eq = chars.next_if(|&(_, c)| c == '=').is_some();
                let op = match (c, with_eq) {
                    ('!', true) => Op::Ne,
                    ('<', false) => Op::Lt,
                    ('<', true) => Op::Le,
                    ('>', false) => Op::Gt,
                    ('>', true) => Op::Ge,
                    _ => {
                        return Err(QueryError::new(start, start + 1, "`!` is not an operator; write `not` or `!=`"));
                    }
                };
                Token { kind: Kind::Op(op), start, end: start + if with_eq { 2 } else { 1 } }
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                let mut end = None;
                while let Some((i, c)) = chars.next() {
                    match c {
                        '"' => {
                            end = Some(i + 1);
                            break;
                        }
                        '\\' => match chars.next() {
                            Some((_, e @ ('"' | '\\'))) => text.push(e),
                            Some((i, other)) => {
                                return Err(QueryError::new(
                                    i - 1,
                                    i + other.len_utf8(),
                                    "only `\\\"` and `\\\\` are escapes in a string",
                                ));
                            }
                            None => break,
                        },
                        other => text.push(other),
                    }
                }
                let Some(end) = end else {
                    return Err(QueryError::new(start, start + 1, "unterminated string: a `\"` is missing"));
                };
                Token { kind: Kind::Str(text), start, end }
            }
            c if c.is_ascii_digit() || c == '-' => {
                let mut end = start;
                while let Some((i, c)) = chars.next_if(|&(_, c)| is_literal_char(c)) {
                    end = i + c.len_utf8();
                }
                Token { kind: Kind::Literal(query[start..end].to_owned()), start, end }
            }
            c if is_word_start(c) => {
                let mut end = start;
                while let Some((i, c)) = chars.next_if(|&(_, c)| is_word_char(c)) {
                    end = i + c.len_utf8();
                }
                Token { kind: Kind::Word(query[start..end].to_owned()), start, end }
            }
            other => {
                return Err(QueryError::new(
                    start,
                    start + other.len_utf8(),
                    format!("unexpected character `{other}`"),
                ));
            }
        };
        tokens.push(token);
    }
    tokens.push(Token { kind: Kind::End, start: query.len(), end: query.len() });
    Ok(tokens)
}
