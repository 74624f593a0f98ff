//! One SQL text for both backends: statements are written with SQLite's numbered parameters
//! (`?1`, `?2`, or `?` in order), which PostgreSQL spells `$1`, `$2`. Rewritten once per
//! statement (then cached with it), outside quoted strings, identifiers and comments.

pub fn to_postgres(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next = 1u32;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for inner in chars.by_ref() {
                    out.push(inner);
                    if inner == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut number = String::new();
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    number.push(d);
                    chars.next();
                }
                out.push('$');
                if number.is_empty() {
                    out.push_str(&next.to_string());
                    next += 1;
                } else {
                    out.push_str(&number);
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// `insert` then `rows` rows of `width` numbered parameters, then `tail`:
/// `INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4) ON CONFLICT …`.
pub fn many_rows(insert: &str, tail: &str, width: usize, rows: usize) -> String {
    let mut out = String::with_capacity(insert.len() + tail.len() + rows * width * 6);
    out.push_str(insert.trim_end());
    for row in 0..rows {
        out.push_str(if row == 0 { " (" } else { ", (" });
        for column in 0..width {
            if column > 0 {
                out.push_str(", ");
            }
            out.push('?');
            out.push_str(&(row * width + column + 1).to_string());
        }
        out.push(')');
    }
    out.push(' ');
    out.push_str(tail.trim_start());
    out
}

/// `head`, then `rows` rows of numbered parameters, the first row's cast to `types` (one a
/// column), then `tail`: a `VALUES` list that a statement reads as a table,
/// `… FROM (VALUES (CAST(?1 AS BIGINT), ?2), (?3, ?4)) AS v …`. The server types a `VALUES`
/// list's columns by its rows' typed values, parameters alone being text; the file ignores the
/// casts' declared types but for their affinity, which matches.
pub fn typed_rows(head: &str, tail: &str, types: &[&str], rows: usize) -> String {
    let width = types.len();
    let mut out = String::with_capacity(head.len() + tail.len() + rows * width * 6 + width * 16);
    out.push_str(head.trim_end());
    for row in 0..rows {
        out.push_str(if row == 0 { " (" } else { ", (" });
        for (column, kind) in types.iter().enumerate() {
            if column > 0 {
                out.push_str(", ");
            }
            let number = (row * width + column + 1).to_string();
            match row {
                0 => out.push_str(&format!("CAST(?{number} AS {kind})")),
                _ => {
                    out.push('?');
                    out.push_str(&number);
                }
            }
        }
        out.push(')');
    }
    out.push(' ');
    out.push_str(tail.trim_start());
    out
}

#[cfg(test)]
mod tests {
    use super::{many_rows, to_postgres, typed_rows};

    #[test]
    fn typed_rows_cast_their_first_row_only() {
        assert_eq!(
            typed_rows("SELECT * FROM (VALUES", ") AS v", &["BIGINT", "TEXT"], 2),
            "SELECT * FROM (VALUES (CAST(?1 AS BIGINT), CAST(?2 AS TEXT)), (?3, ?4) ) AS v"
        );
    }

    #[test]
    fn many_rows_number_their_parameters_row_after_row() {
        assert_eq!(
            many_rows("INSERT INTO t (a, b) VALUES", "ON CONFLICT (a) DO NOTHING", 2, 2),
            "INSERT INTO t (a, b) VALUES (?1, ?2), (?3, ?4) ON CONFLICT (a) DO NOTHING"
        );
        assert_eq!(many_rows("INSERT INTO t (a) VALUES ", "", 1, 1), "INSERT INTO t (a) VALUES (?1) ");
    }

    #[test]
    fn numbered_and_bare_parameters_become_dollars_outside_quotes_and_comments() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?1 AND c = ?12 -- is it ?\n AND d = '?3' AND \"e?\" = ?2"),
            "SELECT a FROM t WHERE b = $1 AND c = $12 -- is it ?\n AND d = '?3' AND \"e?\" = $2"
        );
        assert_eq!(
            to_postgres("INSERT INTO t VALUES (?, ?, 'it''s ?')"),
            "INSERT INTO t VALUES ($1, $2, 'it''s ?')"
        );
    }
}
