CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES('spec_name','quick');
CREATE TABLE candidates(id INTEGER PRIMARY KEY, hash TEXT);
