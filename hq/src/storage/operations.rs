//! The one `impl Storage` both databases share, as a macro each database
//! module invokes with its own `rule!` in scope.

/// Each database's `impl Storage`, written once: every operation runs one
/// of the rules ([`crate::rules`], [`crate::keys`]) in one transaction, by
/// the `rule!` macro of the module that invokes this (SQLite runs it on the
/// blocking pool, PostgreSQL on the runtime). The arguments are owned first:
/// SQLite's transaction runs on another thread. `kind` and `ready` are the
/// database's own (`Self::KIND`, `self.ping()`).
macro_rules! storage_operations {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl Storage for $ty {
            fn kind(&self) -> &'static str {
                Self::KIND
            }

            async fn ready(&self) -> Result<()> {
                self.ping().await
            }

            async fn create_technician(
                &self,
                id: &str,
                name: &str,
                now: DateTime<Utc>,
            ) -> Result<String> {
                let (id, name) = (id.to_owned(), name.to_owned());
                rule!(self, |r| rules::create_technician(r, &id, &name, now))
            }

            async fn create_enrollment(
                &self,
                technician_id: &str,
                now: DateTime<Utc>,
            ) -> Result<String> {
                let technician_id = technician_id.to_owned();
                rule!(self, |r| rules::create_enrollment(r, &technician_id, now))
            }

            async fn enroll(
                &self,
                code: &str,
                device_id: &str,
                now: DateTime<Utc>,
            ) -> Result<EnrollResponse> {
                let (code, device_id) = (code.to_owned(), device_id.to_owned());
                rule!(self, |r| rules::enroll(r, &code, &device_id, now))
            }

            async fn authenticate(&self, token: &str, now: DateTime<Utc>) -> Result<Device> {
                let token = token.to_owned();
                rule!(self, |r| rules::authenticate(r, &token, now))
            }

            async fn create_order(
                &self,
                order: WorkOrder,
                now: DateTime<Utc>,
            ) -> Result<OrderSummary> {
                rule!(self, |r| rules::create_order(r, order, now))
            }

            async fn assign(
                &self,
                job_id: &str,
                technician_id: &str,
                now: DateTime<Utc>,
            ) -> Result<OrderSummary> {
                let (job_id, technician_id) = (job_id.to_owned(), technician_id.to_owned());
                rule!(self, |r| rules::assign(r, &job_id, &technician_id, now))
            }

            async fn reschedule(
                &self,
                job_id: &str,
                at: DateTime<Utc>,
                reason: &str,
                consent: Option<RescheduleConsent>,
                now: DateTime<Utc>,
            ) -> Result<OrderSummary> {
                let (job_id, reason) = (job_id.to_owned(), reason.to_owned());
                rule!(self, |r| rules::reschedule(
                    r,
                    &job_id,
                    at,
                    &reason,
                    consent.as_ref(),
                    now
                ))
            }

            async fn cancel(
                &self,
                job_id: &str,
                reason: &str,
                now: DateTime<Utc>,
            ) -> Result<OrderSummary> {
                let (job_id, reason) = (job_id.to_owned(), reason.to_owned());
                rule!(self, |r| rules::cancel(r, &job_id, &reason, now))
            }

            async fn list_orders(
                &self,
                technician_id: Option<&str>,
                status: Option<&str>,
            ) -> Result<Vec<OrderSummary>> {
                let (technician_id, status) =
                    (technician_id.map(str::to_owned), status.map(str::to_owned));
                rule!(self, |r| rules::list_orders(
                    r,
                    technician_id.as_deref(),
                    status.as_deref()
                ))
            }

            async fn get_order(&self, job_id: &str, scope: Option<&str>) -> Result<Visit> {
                let (job_id, scope) = (job_id.to_owned(), scope.map(str::to_owned));
                rule!(self, |r| rules::get_order(r, &job_id, scope.as_deref()))
            }

            async fn instruct_charge(
                &self,
                job_id: &str,
                instruction: Instruction,
                by: &str,
                now: DateTime<Utc>,
            ) -> Result<OrderSummary> {
                let (job_id, by) = (job_id.to_owned(), by.to_owned());
                rule!(self, |r| rules::instruct_charge(
                    r,
                    &job_id,
                    instruction,
                    &by,
                    now
                ))
            }

            async fn charge_code(&self, job_id: &str, instruction: Instruction) -> Result<String> {
                let job_id = job_id.to_owned();
                rule!(self, |r| rules::charge_code(r, &job_id, instruction))
            }

            async fn push(
                &self,
                device: &Device,
                push: PushRequest,
                now: DateTime<Utc>,
            ) -> Result<PushResponse> {
                let device = device.clone();
                rule!(self, |r| rules::push(
                    r,
                    &device,
                    &push.ops,
                    push.backlog,
                    &push.uploading,
                    now
                ))
            }

            async fn pull(
                &self,
                technician_id: &str,
                cursor: i64,
                limit: usize,
            ) -> Result<PullResponse> {
                let technician_id = technician_id.to_owned();
                rule!(self, |r| rules::pull(r, &technician_id, cursor, limit))
            }

            async fn put_blob(
                &self,
                sha256: &str,
                media_type: &str,
                bytes: Vec<u8>,
                owner: &str,
                now: DateTime<Utc>,
            ) -> Result<bool> {
                let (sha256, media_type, owner) =
                    (sha256.to_owned(), media_type.to_owned(), owner.to_owned());
                rule!(self, |r| rules::put_blob(
                    r,
                    &sha256,
                    &media_type,
                    bytes,
                    &owner,
                    now
                ))
            }

            async fn upload_status(&self, owner: &str, sha256: &str) -> Result<UploadProgress> {
                let (owner, sha256) = (owner.to_owned(), sha256.to_owned());
                rule!(self, |r| rules::upload_status(r, &owner, &sha256))
            }

            async fn upload_chunk(
                &self,
                owner: &str,
                sha256: &str,
                media_type: &str,
                chunk: Chunk,
                bytes: Vec<u8>,
                now: DateTime<Utc>,
            ) -> Result<ChunkOutcome> {
                let (owner, sha256, media_type) =
                    (owner.to_owned(), sha256.to_owned(), media_type.to_owned());
                rule!(self, |r| rules::upload_chunk(
                    r,
                    &owner,
                    &sha256,
                    &media_type,
                    chunk,
                    &bytes,
                    now
                ))
            }

            async fn get_blob(
                &self,
                sha256: &str,
                scope: Option<&str>,
            ) -> Result<(String, Vec<u8>)> {
                let (sha256, scope) = (sha256.to_owned(), scope.map(str::to_owned));
                rule!(self, |r| rules::get_blob(r, &sha256, scope.as_deref()))
            }

            async fn grant_block(
                &self,
                device: &Device,
                now: DateTime<Utc>,
            ) -> Result<NumberBlock> {
                let device = device.clone();
                rule!(self, |r| rules::grant_block(r, &device, now))
            }

            async fn followups(&self, month: Option<&str>) -> Result<Vec<FollowUp>> {
                let month = month.map(str::to_owned);
                rule!(self, |r| rules::followups(r, month.as_deref()))
            }

            async fn old_parts(&self, job_id: Option<&str>) -> Result<Vec<OldPart>> {
                let job_id = job_id.map(str::to_owned);
                rule!(self, |r| rules::old_parts(r, job_id.as_deref()))
            }

            async fn complaints(&self) -> Result<Vec<ComplaintRecord>> {
                rule!(self, |r| rules::complaints(r))
            }

            async fn pending_invoices(&self) -> Result<Vec<PendingInvoice>> {
                rule!(self, |r| rules::pending_invoices(r))
            }

            async fn record_handover(
                &self,
                technician_id: &str,
                day: NaiveDate,
                method: &str,
                amount_fen: i64,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let (technician_id, method) = (technician_id.to_owned(), method.to_owned());
                rule!(self, |r| rules::record_handover(
                    r,
                    &technician_id,
                    day,
                    &method,
                    amount_fen,
                    now
                ))
            }

            async fn reconciliation(
                &self,
                technician_id: &str,
                day: NaiveDate,
            ) -> Result<Reconciliation> {
                let technician_id = technician_id.to_owned();
                rule!(self, |r| rules::reconciliation(r, &technician_id, day))
            }

            async fn applied_ops(&self) -> Result<i64> {
                rule!(self, |r| rules::applied_ops(r))
            }

            async fn keys(&self) -> Result<Vec<KeyInfo>> {
                rule!(self, |r| keys::list(r))
            }

            async fn authenticate_key(
                &self,
                token: &str,
                now: DateTime<Utc>,
            ) -> Result<Option<Key>> {
                let token = token.to_owned();
                rule!(self, |r| keys::authenticate(r, &token, now))
            }
        }
    };
}
