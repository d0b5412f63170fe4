//! Reads HQ's database directly, with SQL, the way an auditor would: what
//! HQ holds, not what its API says it holds (the oracle of
//! [`crate::harness::assert_in_step_with_hq`] must not trust the code it
//! checks). A few tests also write rows HQ's API would never let through
//! (absurd amounts) to see HQ's answer to them.
//!
//! Statements use `$1, $2...` placeholders, which PostgreSQL and SQLite
//! both read as the same numbered parameters.

use postgres::types::{ToSql, Type};

/// A value passed to or read from the database.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

/// A result row; the getters panic on the wrong type (tests only).
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Val>);

impl Row {
    pub fn int(&self, i: usize) -> i64 {
        match &self.0[i] {
            Val::Int(v) => *v,
            other => panic!("column {i}: expected an integer, got {other:?}"),
        }
    }
    pub fn text(&self, i: usize) -> String {
        match &self.0[i] {
            Val::Text(v) => v.clone(),
            other => panic!("column {i}: expected text, got {other:?}"),
        }
    }
    pub fn bytes(&self, i: usize) -> Vec<u8> {
        match &self.0[i] {
            Val::Bytes(v) => v.clone(),
            other => panic!("column {i}: expected bytes, got {other:?}"),
        }
    }
    pub fn opt_text(&self, i: usize) -> Option<String> {
        match &self.0[i] {
            Val::Null => None,
            _ => Some(self.text(i)),
        }
    }
}

fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Runs `sql` on HQ's database at `url` and returns its rows.
pub fn query(url: &str, sql: &str, params: &[Val]) -> Vec<Row> {
    if is_postgres(url) {
        let (url, sql, params) = (url.to_string(), sql.to_string(), params.to_vec());
        // The sync client runs its own runtime: never on a caller's async thread.
        std::thread::spawn(move || pg_query(&url, &sql, &params))
            .join()
            .expect("peek thread")
    } else {
        sqlite_query(url.strip_prefix("sqlite:").unwrap_or(url), sql, params)
    }
}

/// Runs a statement that returns no rows.
pub fn exec(url: &str, sql: &str, params: &[Val]) {
    query(url, sql, params);
}

fn sqlite_query(path: &str, sql: &str, params: &[Val]) -> Vec<Row> {
    use rusqlite::types::{Value, ValueRef};
    let conn = rusqlite::Connection::open(path).expect("open HQ's SQLite file");
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    let p: Vec<Value> = params
        .iter()
        .map(|v| match v {
            Val::Null => Value::Null,
            Val::Int(i) => Value::Integer(*i),
            Val::Text(s) => Value::Text(s.clone()),
            Val::Bytes(b) => Value::Blob(b.clone()),
        })
        .collect();
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    stmt.query_map(rusqlite::params_from_iter(p), |r| {
        Ok(Row((0..n)
            .map(|i| match r.get_ref(i).unwrap() {
                ValueRef::Null => Val::Null,
                ValueRef::Integer(v) => Val::Int(v),
                ValueRef::Real(v) => Val::Int(v as i64),
                ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Val::Bytes(b.to_vec()),
            })
            .collect()))
    })
    .expect("query")
    .collect::<rusqlite::Result<_>>()
    .expect("rows")
}

fn pg_query(url: &str, sql: &str, params: &[Val]) -> Vec<Row> {
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let boxed: Vec<Box<dyn ToSql + Sync>> = params
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync> {
            match v {
                Val::Null => Box::new(Option::<String>::None),
                Val::Int(i) => Box::new(*i),
                Val::Text(s) => Box::new(s.clone()),
                Val::Bytes(b) => Box::new(b.clone()),
            }
        })
        .collect();
    let refs: Vec<&(dyn ToSql + Sync)> = boxed.iter().map(AsRef::as_ref).collect();
    let rows = client.query(sql, &refs).expect("query");
    rows.iter()
        .map(|r| {
            Row(r
                .columns()
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let t = c.type_();
                    if *t == Type::INT8 {
                        r.get::<_, Option<i64>>(i).map_or(Val::Null, Val::Int)
                    } else if *t == Type::INT4 {
                        r.get::<_, Option<i32>>(i)
                            .map_or(Val::Null, |v| Val::Int(v.into()))
                    } else if *t == Type::BOOL {
                        r.get::<_, Option<bool>>(i)
                            .map_or(Val::Null, |v| Val::Int(v.into()))
                    } else if *t == Type::BYTEA {
                        r.get::<_, Option<Vec<u8>>>(i).map_or(Val::Null, Val::Bytes)
                    } else {
                        r.get::<_, Option<String>>(i).map_or(Val::Null, Val::Text)
                    }
                })
                .collect())
        })
        .collect()
}
