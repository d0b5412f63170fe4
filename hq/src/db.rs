//! The one storage trait HQ runs on, with two implementations: SQLite (one
//! file, the default, so one command runs HQ) and PostgreSQL (several stateless
//! HQ processes on one database).
//!
//! The trait is deliberately small — transactions of parameterised statements
//! over plain values — so that every rule of HQ ([`crate::store`]) is written
//! once and the same test suite runs it on both databases. Statements use `?`
//! placeholders and `FOR UPDATE` row locks; the SQLite side strips the locks
//! (its writers are serialised by `BEGIN IMMEDIATE`) and the PostgreSQL side
//! numbers the placeholders.

use std::sync::Mutex;

use crate::error::{HqError, Result};

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
impl From<&String> for Val {
    fn from(v: &String) -> Self {
        Val::Text(v.clone())
    }
}
impl From<Vec<u8>> for Val {
    fn from(v: Vec<u8>) -> Self {
        Val::Bytes(v)
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Self {
        v.map_or(Val::Null, Into::into)
    }
}

/// A result row.
#[derive(Debug, Clone)]
pub struct Row(pub Vec<Val>);

/// What a column held, for error messages that must not quote the value.
fn type_of(v: Option<&Val>) -> &'static str {
    match v {
        None => "no column",
        Some(Val::Null) => "null",
        Some(Val::Int(_)) => "integer",
        Some(Val::Text(_)) => "text",
        Some(Val::Bytes(_)) => "bytes",
    }
}

impl Row {
    pub fn int(&self, i: usize) -> Result<i64> {
        match self.0.get(i) {
            Some(Val::Int(v)) => Ok(*v),
            other => Err(HqError::Internal(format!(
                "column {i}: expected integer, got {}",
                type_of(other)
            ))),
        }
    }
    pub fn text(&self, i: usize) -> Result<String> {
        match self.0.get(i) {
            Some(Val::Text(v)) => Ok(v.clone()),
            other => Err(HqError::Internal(format!(
                "column {i}: expected text, got {}",
                type_of(other)
            ))),
        }
    }
    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.0.get(i) {
            Some(Val::Null) => Ok(None),
            _ => self.text(i).map(Some),
        }
    }
    pub fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        match self.0.get(i) {
            Some(Val::Bytes(v)) => Ok(v.clone()),
            other => Err(HqError::Internal(format!(
                "column {i}: expected bytes, got {}",
                type_of(other)
            ))),
        }
    }
}

/// One open transaction.
pub trait Tx {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64>;
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>>;
    /// Serialises writers of the change feed so cursors are assigned in commit order.
    fn lock_feed(&mut self) -> Result<()>;

    fn query_one(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// A database HQ can run on.
pub trait Db: Send + Sync + 'static {
    /// Creates or upgrades the schema.
    fn migrate(&self) -> Result<()>;
    /// Runs `f` in one transaction, committed when it returns `Ok`.
    fn transact(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()>;
    fn kind(&self) -> &'static str;
}

/// Runs `f` in a transaction and returns its value.
pub fn tx<R>(db: &dyn Db, mut f: impl FnMut(&mut dyn Tx) -> Result<R>) -> Result<R> {
    let mut out = None;
    db.transact(&mut |t| {
        out = Some(f(t)?);
        Ok(())
    })?;
    out.ok_or_else(|| HqError::Internal("transaction returned nothing".into()))
}

/// A database written by a newer HQ is refused, not damaged.
fn too_new(found: i64) -> Result<()> {
    if found > crate::schema::VERSION {
        return Err(HqError::Internal(format!(
            "the database schema is version {found}; this HQ knows up to {}",
            crate::schema::VERSION
        )));
    }
    Ok(())
}

// --- SQLite ---------------------------------------------------------------------

pub struct Sqlite {
    conn: Mutex<rusqlite::Connection>,
}

impl Sqlite {
    pub fn open(path: &str) -> Result<Sqlite> {
        let conn = rusqlite::Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        Ok(Sqlite {
            conn: Mutex::new(conn),
        })
    }
}

struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>);

fn to_sqlite(v: &Val) -> rusqlite::types::Value {
    use rusqlite::types::Value;
    match v {
        Val::Null => Value::Null,
        Val::Int(i) => Value::Integer(*i),
        Val::Text(s) => Value::Text(s.clone()),
        Val::Bytes(b) => Value::Blob(b.clone()),
    }
}

fn sqlite_sql(sql: &str) -> String {
    sql.replace(" FOR UPDATE", "")
}

impl Tx for SqliteTx<'_> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        let p: Vec<_> = params.iter().map(to_sqlite).collect();
        Ok(self
            .0
            .execute(&sqlite_sql(sql), rusqlite::params_from_iter(p))? as u64)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>> {
        let p: Vec<_> = params.iter().map(to_sqlite).collect();
        let mut stmt = self.0.prepare_cached(&sqlite_sql(sql))?;
        let n = stmt.column_count();
        let rows = stmt.query_map(rusqlite::params_from_iter(p), |r| {
            let mut vals = Vec::with_capacity(n);
            for i in 0..n {
                use rusqlite::types::ValueRef;
                vals.push(match r.get_ref(i)? {
                    ValueRef::Null => Val::Null,
                    ValueRef::Integer(v) => Val::Int(v),
                    ValueRef::Real(v) => Val::Int(v as i64),
                    ValueRef::Text(t) => Val::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Blob(b) => Val::Bytes(b.to_vec()),
                });
            }
            Ok(Row(vals))
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn lock_feed(&mut self) -> Result<()> {
        Ok(())
    }
}

impl Db for Sqlite {
    fn migrate(&self) -> Result<()> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| HqError::Internal("poisoned".into()))?;
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        too_new(v)?;
        if v < crate::schema::VERSION {
            // Every missing step in one transaction: a crash leaves the old version whole.
            let mut sql = String::from("BEGIN IMMEDIATE;");
            for from in v..crate::schema::VERSION {
                sql.push_str(&crate::schema::sqlite_step(from).unwrap_or_default());
            }
            sql.push_str(&format!(
                "PRAGMA user_version = {}; COMMIT;",
                crate::schema::VERSION
            ));
            if let Err(e) = conn.execute_batch(&sql) {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
        Ok(())
    }

    fn transact(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut conn = self
            .conn
            .lock()
            .map_err(|_| HqError::Internal("poisoned".into()))?;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        f(&mut SqliteTx(&tx))?;
        tx.commit()?;
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "sqlite"
    }
}

// --- PostgreSQL -----------------------------------------------------------------

type PgPool = r2d2::Pool<r2d2_postgres::PostgresConnectionManager<postgres::NoTls>>;

pub struct Postgres {
    pool: Option<PgPool>,
}

impl Drop for Postgres {
    /// The sync `postgres` client blocks on its own runtime when a connection
    /// closes, which panics on an async worker thread; close them on a plain thread.
    fn drop(&mut self) {
        if let Some(pool) = self.pool.take() {
            let _ = std::thread::spawn(move || drop(pool)).join();
        }
    }
}

impl Postgres {
    pub fn connect(url: &str, pool_size: u32) -> Result<Postgres> {
        let config: postgres::Config = url
            .parse()
            .map_err(|e| HqError::Internal(format!("database url: {e}")))?;
        let manager = r2d2_postgres::PostgresConnectionManager::new(config, postgres::NoTls);
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .connection_timeout(std::time::Duration::from_secs(10))
            .build(manager)
            .map_err(|e| HqError::Internal(format!("postgres: {e}")))?;
        Ok(Postgres { pool: Some(pool) })
    }
}

impl Postgres {
    fn conn(
        &self,
    ) -> Result<r2d2::PooledConnection<r2d2_postgres::PostgresConnectionManager<postgres::NoTls>>>
    {
        self.pool
            .as_ref()
            .ok_or_else(|| HqError::Unavailable("closed".into()))?
            .get()
            .map_err(|e| HqError::Unavailable(e.to_string()))
    }
}

/// `?` placeholders become `$1, $2, ...` (no statement of ours has `?` in a literal).
fn pg_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

struct PgTx<'a, 'b>(&'a mut postgres::Transaction<'b>);

fn pg_params(params: &[Val]) -> Vec<Box<dyn postgres::types::ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn postgres::types::ToSql + Sync> {
            match v {
                Val::Null => Box::new(Option::<String>::None),
                Val::Int(i) => Box::new(*i),
                Val::Text(s) => Box::new(s.clone()),
                Val::Bytes(b) => Box::new(b.clone()),
            }
        })
        .collect()
}

impl Tx for PgTx<'_, '_> {
    fn exec(&mut self, sql: &str, params: &[Val]) -> Result<u64> {
        let boxed = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            boxed.iter().map(std::convert::AsRef::as_ref).collect();
        Ok(self.0.execute(&pg_sql(sql), &refs)?)
    }

    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>> {
        use postgres::types::Type;
        let boxed = pg_params(params);
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
            boxed.iter().map(std::convert::AsRef::as_ref).collect();
        let rows = self.0.query(&pg_sql(sql), &refs)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut vals = Vec::with_capacity(r.len());
            for (i, col) in r.columns().iter().enumerate() {
                let t = col.type_();
                let bad =
                    |e: postgres::Error| HqError::Internal(format!("column {}: {e}", col.name()));
                let v = if *t == Type::INT8 {
                    r.try_get::<_, Option<i64>>(i)
                        .map_err(bad)?
                        .map_or(Val::Null, Val::Int)
                } else if *t == Type::INT4 {
                    r.try_get::<_, Option<i32>>(i)
                        .map_err(bad)?
                        .map_or(Val::Null, |v| Val::Int(v.into()))
                } else if *t == Type::BYTEA {
                    r.try_get::<_, Option<Vec<u8>>>(i)
                        .map_err(bad)?
                        .map_or(Val::Null, Val::Bytes)
                } else if *t == Type::BOOL {
                    r.try_get::<_, Option<bool>>(i)
                        .map_err(bad)?
                        .map_or(Val::Null, |b| Val::Int(b.into()))
                } else {
                    r.try_get::<_, Option<String>>(i)
                        .map_err(bad)?
                        .map_or(Val::Null, Val::Text)
                };
                vals.push(v);
            }
            out.push(Row(vals));
        }
        Ok(out)
    }

    fn lock_feed(&mut self) -> Result<()> {
        self.0.execute("SELECT pg_advisory_xact_lock(7001)", &[])?;
        Ok(())
    }
}

impl Db for Postgres {
    fn migrate(&self) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        // Several HQ processes may start at once: one migrates, the others wait.
        tx.execute("SELECT pg_advisory_xact_lock(7000)", &[])?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS hq_schema (version BIGINT NOT NULL)")?;
        let v: i64 = tx
            .query_opt("SELECT version FROM hq_schema", &[])?
            .map_or(0, |r| r.get(0));
        too_new(v)?;
        if v < crate::schema::VERSION {
            for from in v..crate::schema::VERSION {
                tx.batch_execute(&crate::schema::postgres_step(from).unwrap_or_default())?;
            }
            tx.execute("DELETE FROM hq_schema", &[])?;
            tx.execute(
                "INSERT INTO hq_schema(version) VALUES ($1)",
                &[&crate::schema::VERSION],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn transact(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<()>) -> Result<()> {
        let mut c = self.conn()?;
        let mut tx = c.transaction()?;
        f(&mut PgTx(&mut tx))?;
        tx.commit()?;
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "postgres"
    }
}
