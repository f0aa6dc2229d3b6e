-- One row naming this database among all daihuo installations. Nodes sharing a NATS server
-- prefix their room streams and subjects with it, so two databases whose session ids both
-- start at 1 never share a room.
CREATE TABLE installation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL
);
INSERT INTO installation (id, name) VALUES (1, lower(hex(randomblob(8))));
