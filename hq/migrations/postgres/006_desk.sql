-- Version 6 (desk): see hq/src/centre/desk.rs.
-- Calls and visits received at the desk (每日业户接待情况表).
CREATE TABLE calls (
    id          BIGSERIAL PRIMARY KEY,
    received_at TEXT NOT NULL,
    day         TEXT NOT NULL,
    channel     TEXT NOT NULL,
    caller      TEXT NOT NULL,
    phone       TEXT NOT NULL,
    site        TEXT NOT NULL,
    location    TEXT NOT NULL,
    category    TEXT NOT NULL,
    request     TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    job_id      TEXT
);
CREATE INDEX calls_by_day ON calls(day, id);
-- The last order number given on each China day.
CREATE TABLE order_numbers (
    day  TEXT PRIMARY KEY,
    last BIGINT NOT NULL
);
-- Orders written without a technician: not in `orders`, which feeds phones.
CREATE TABLE unassigned_orders (
    job_id          TEXT PRIMARY KEY,
    work_order      TEXT NOT NULL,
    appointment_day TEXT NOT NULL,
    appointment_at  TEXT NOT NULL,
    reported_at     TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    customer_name   TEXT NOT NULL,
    phone_digits    TEXT NOT NULL,
    site            TEXT NOT NULL,
    location        TEXT NOT NULL,
    urgent          BIGINT NOT NULL,
    created_at      TEXT NOT NULL
);
-- What lists read of an order, so no list parses an order's JSON.
ALTER TABLE orders ADD COLUMN appointment_day TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN appointment_at TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN reported_at TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN due_at TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN customer_name TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN phone_digits TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN site TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN location TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN urgent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN arrived_at TEXT;
ALTER TABLE orders ADD COLUMN awaiting_approval BIGINT NOT NULL DEFAULT 0;
-- Orders written before version 6, from their JSON (awaiting_approval is
-- set by the next change of the order).
UPDATE orders SET
    appointment_day = to_char(((visit::json)->'order'->>'appointment_at')::timestamptz AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD'),
    appointment_at = to_char(((visit::json)->'order'->>'appointment_at')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    reported_at = to_char(((visit::json)->'order'->>'reported_at')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    due_at = to_char(CASE WHEN ((visit::json)->'order'->>'urgent')::boolean
        THEN ((visit::json)->'order'->>'reported_at')::timestamptz + interval '30 minutes'
        ELSE ((visit::json)->'order'->>'appointment_at')::timestamptz + interval '5 minutes' END
        AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    customer_name = trim((visit::json)->'order'->'customer'->>'name'),
    phone_digits = regexp_replace((visit::json)->'order'->'customer'->>'phone', '[^0-9]', '', 'g'),
    site = (visit::json)->'order'->>'site',
    location = trim((visit::json)->'order'->>'location'),
    urgent = CASE WHEN ((visit::json)->'order'->>'urgent')::boolean THEN 1 ELSE 0 END,
    arrived_at = to_char(((visit::json)->>'arrived_at')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"');
CREATE INDEX orders_by_day ON orders(appointment_day, technician_id, status, awaiting_approval);
CREATE INDEX orders_by_number ON orders(job_id COLLATE "C");
CREATE INDEX unassigned_by_appointment ON unassigned_orders(appointment_at);
CREATE INDEX orders_by_due ON orders(appointment_day, due_at COLLATE "C");
CREATE INDEX orders_by_name ON orders(customer_name COLLATE "C");
CREATE INDEX orders_by_phone ON orders(phone_digits COLLATE "C");
CREATE INDEX orders_by_location ON orders(location COLLATE "C");
CREATE INDEX orders_by_reported ON orders(reported_at COLLATE "C");
