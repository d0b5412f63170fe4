-- Version 6 (reports): the daily summary and the monthly figures read orders by when HQ received them.
CREATE INDEX orders_by_created ON orders(created_at);
CREATE INDEX complaints_by_received ON complaints(received_at);
