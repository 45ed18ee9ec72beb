CREATE TABLE people(name TEXT, age INT); INSERT INTO people VALUES('a', 1);
