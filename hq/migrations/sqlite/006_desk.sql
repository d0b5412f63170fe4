-- Version 6 (desk): see hq/src/centre/desk.rs.
-- Calls and visits received at the desk (每日业户接待情况表).
CREATE TABLE calls (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
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
    last INTEGER NOT NULL
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
    urgent          INTEGER NOT NULL,
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
ALTER TABLE orders ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN arrived_at TEXT;
ALTER TABLE orders ADD COLUMN awaiting_approval INTEGER NOT NULL DEFAULT 0;
-- Orders written before version 6, from their JSON (awaiting_approval is
-- set by the next change of the order).
UPDATE orders SET
    appointment_day = date(json_extract(visit, '$.order.appointment_at'), '+8 hours'),
    appointment_at = strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(visit, '$.order.appointment_at')),
    reported_at = strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(visit, '$.order.reported_at')),
    due_at = CASE WHEN json_extract(visit, '$.order.urgent')
        THEN strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(visit, '$.order.reported_at'), '+30 minutes')
        ELSE strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(visit, '$.order.appointment_at'), '+5 minutes') END,
    customer_name = trim(json_extract(visit, '$.order.customer.name')),
    phone_digits = replace(replace(replace(replace(replace(replace(
        json_extract(visit, '$.order.customer.phone'), ' ', ''), '-', ''), '+', ''), '(', ''), ')', ''), '.', ''),
    site = json_extract(visit, '$.order.site'),
    location = trim(json_extract(visit, '$.order.location')),
    urgent = CASE WHEN json_extract(visit, '$.order.urgent') THEN 1 ELSE 0 END,
    arrived_at = strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(visit, '$.arrived_at'));
CREATE INDEX orders_by_day ON orders(appointment_day, technician_id, status, awaiting_approval);
CREATE INDEX unassigned_by_appointment ON unassigned_orders(appointment_at);
CREATE INDEX orders_by_due ON orders(appointment_day, due_at);
CREATE INDEX orders_by_name ON orders(customer_name);
CREATE INDEX orders_by_phone ON orders(phone_digits);
CREATE INDEX orders_by_location ON orders(location);
CREATE INDEX orders_by_reported ON orders(reported_at);
