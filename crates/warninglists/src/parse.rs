//! `list.json` → [`Warninglist`].

use serde_json::{Map, Value};

use crate::kind::coverage;
use crate::matcher::{Builder, Pushed};
use crate::{ListError, ListKind, Warninglist};

/// At most this many entry warnings are kept per list; the rest are summed up in one last warning.
pub(crate) const MAX_ENTRY_WARNINGS: usize = 50;

/// Shortens an entry for a message (at most 80 characters), on a character boundary.
pub(crate) fn shown(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ListError {
    ListError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

fn required<'a>(obj: &'a Map<String, Value>, field: &'static str) -> Result<&'a Value, ListError> {
    match obj.get(field) {
        None | Some(Value::Null) => Err(ListError::Missing {
            field: field.to_string(),
        }),
        Some(v) => Ok(v),
    }
}

fn required_str<'a>(
    obj: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a str, ListError> {
    match required(obj, field)? {
        Value::String(s) => Ok(s),
        other => Err(invalid(
            field,
            format!("expected a string, got {}", type_name(other)),
        )),
    }
}

struct Warnings {
    list: Vec<String>,
    entry_warnings: usize,
}

impl Warnings {
    fn entry(&mut self, w: String) {
        self.entry_warnings += 1;
        if self.entry_warnings <= MAX_ENTRY_WARNINGS {
            self.list.push(w);
        }
    }
}

pub(crate) fn parse(json: &[u8], strict: bool) -> Result<Warninglist, ListError> {
    let json = json.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(json);
    let root: Value = serde_json::from_slice(json).map_err(|e| ListError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let Value::Object(obj) = root else {
        return Err(invalid(
            "(root)",
            format!("expected a JSON object, got {}", type_name(&root)),
        ));
    };
    let mut warnings = Warnings {
        list: Vec::new(),
        entry_warnings: 0,
    };

    let name = required_str(&obj, "name")?.trim().to_string();
    if name.is_empty() {
        return Err(invalid("name", "is empty"));
    }

    let description = match obj.get("description") {
        None | Some(Value::Null) => {
            if strict {
                return Err(ListError::Missing {
                    field: "description".into(),
                });
            }
            warnings
                .list
                .push("description: missing, using an empty description".to_string());
            String::new()
        }
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            return Err(invalid(
                "description",
                format!("expected a string, got {}", type_name(other)),
            ))
        }
    };

    let version = match required(&obj, "version")? {
        Value::Number(n) => match n.as_u64() {
            Some(v) => v,
            None => {
                return Err(invalid(
                    "version",
                    format!("expected a non-negative integer, got {n}"),
                ))
            }
        },
        Value::String(s) => match s.trim().parse::<u64>() {
            Ok(v) if !strict => {
                warnings.list.push(format!(
                    "version: given as a string '{}', used as {v}",
                    shown(s)
                ));
                v
            }
            _ => {
                return Err(invalid(
                    "version",
                    format!("expected a non-negative integer, got '{}'", shown(s)),
                ))
            }
        },
        other => {
            return Err(invalid(
                "version",
                format!("expected a non-negative integer, got {}", type_name(other)),
            ))
        }
    };

    let kind_text = required_str(&obj, "type")?;
    let kind = ListKind::parse(kind_text).ok_or_else(|| {
        invalid(
            "type",
            format!(
                "'{}' is not one of cidr, string, substring, hostname, regex",
                shown(kind_text)
            ),
        )
    })?;

    let matching_attributes = match obj.get("matching_attributes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                match item {
                    Value::String(s) if !s.trim().is_empty() => out.push(s.trim().to_string()),
                    other => {
                        let w = invalid(
                            format!("matching_attributes[{i}]"),
                            format!("expected a non-empty string, got {}", type_name(other)),
                        );
                        if strict {
                            return Err(w);
                        }
                        warnings.list.push(format!("{w}; skipped"));
                    }
                }
            }
            out
        }
        Some(other) => {
            return Err(invalid(
                "matching_attributes",
                format!("expected an array, got {}", type_name(other)),
            ));
        }
    };

    let category = match obj.get("category") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => {
            let w = invalid(
                "category",
                format!("expected a string, got {}", type_name(other)),
            );
            if strict {
                return Err(w);
            }
            warnings.list.push(format!("{w}; ignored"));
            None
        }
    };

    let items = match required(&obj, "list")? {
        Value::Array(items) => items,
        other => {
            return Err(invalid(
                "list",
                format!("expected an array, got {}", type_name(other)),
            ))
        }
    };
    let mut builder = Builder::new(kind);
    let mut skipped = 0usize;
    let mut duplicates = 0usize;
    for (i, item) in items.iter().enumerate() {
        let field = || format!("list[{i}]");
        let entry = match item {
            Value::String(s) => s.trim(),
            other => {
                let e = invalid(
                    field(),
                    format!("expected a string, got {}", type_name(other)),
                );
                if strict {
                    return Err(e);
                }
                warnings.entry(format!("{e}; skipped"));
                skipped += 1;
                continue;
            }
        };
        if entry.is_empty() {
            let e = invalid(field(), "is empty");
            if strict {
                return Err(e);
            }
            warnings.entry(format!("{e}; skipped"));
            skipped += 1;
            continue;
        }
        match builder.push(entry) {
            Ok(Pushed::Added) => {}
            Ok(Pushed::Duplicate) => duplicates += 1,
            Ok(Pushed::AddedWithNote(note)) => {
                let e = invalid(field(), format!("'{}' {note}", shown(entry)));
                if strict {
                    return Err(e);
                }
                warnings.entry(e.to_string());
            }
            Err(reason) => {
                let e = invalid(field(), format!("'{}' {reason}", shown(entry)));
                if strict {
                    return Err(e);
                }
                warnings.entry(format!("{e}; skipped"));
                skipped += 1;
            }
        }
    }
    if warnings.entry_warnings > MAX_ENTRY_WARNINGS {
        let more = warnings.entry_warnings - MAX_ENTRY_WARNINGS;
        warnings
            .list
            .push(format!("list: {more} more entry warnings not shown"));
    }
    if duplicates > 0 {
        warnings
            .list
            .push(format!("list: {duplicates} duplicate entries ignored"));
    }
    if builder.len() == 0 {
        warnings
            .list
            .push("list: no usable entries, the list matches nothing".to_string());
    }

    let entries = builder.len();
    let (matcher, values) = builder.finish();
    let coverage = coverage(&matching_attributes);
    Ok(Warninglist {
        name,
        description,
        version,
        kind,
        matching_attributes,
        category,
        entries,
        skipped,
        warnings: warnings.list,
        values,
        matcher,
        coverage,
    })
}
