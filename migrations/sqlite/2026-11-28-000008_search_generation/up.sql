-- Counters that move whenever anything mediator search reads changes, so that each gateway can
-- keep its search index in memory and still answer every search from current data: a search
-- compares the counters with its index's and rebuilds what differs. `ratings` moves alone when
-- only rating summaries change, so a new rating reloads the summaries, not the whole directory.
-- Triggers, not the services, move them, so no write path can forget to.
CREATE TABLE search_generation (
    id INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    directory BIGINT NOT NULL,
    ratings BIGINT NOT NULL
);
INSERT INTO search_generation (id, directory, ratings) VALUES (1, 0, 0);

CREATE TRIGGER mediators_insert_moves_search AFTER INSERT ON mediators
BEGIN
    UPDATE search_generation SET directory = directory + 1 WHERE id = 1;
END;

CREATE TRIGGER mediators_update_moves_search AFTER UPDATE ON mediators
BEGIN
    UPDATE search_generation SET directory = directory + 1 WHERE id = 1;
END;

CREATE TRIGGER mediators_delete_moves_search AFTER DELETE ON mediators
BEGIN
    UPDATE search_generation SET directory = directory + 1 WHERE id = 1;
END;

CREATE TRIGGER mediator_specialties_insert_moves_search AFTER INSERT ON mediator_specialties
BEGIN
    UPDATE search_generation SET directory = directory + 1 WHERE id = 1;
END;

CREATE TRIGGER mediator_specialties_update_moves_search AFTER UPDATE ON mediator_specialties
BEGIN
    UPDATE search_generation SET directory = directory + 1 WHERE id = 1;
END;

CREATE TRIGGER mediator_specialties_delete_moves_search AFTER DELETE ON mediator_specialties
BEGIN
    UPDATE search_generation SET directory = directory + 1 WHERE id = 1;
END;

CREATE TRIGGER sites_insert_moves_search AFTER INSERT ON sites
BEGIN
    UPDATE search_generation SET directory = directory + 1 WHERE id = 1;
END;

CREATE TRIGGER sites_update_moves_search AFTER UPDATE ON sites
BEGIN
    UPDATE search_generation SET directory = directory + 1 WHERE id = 1;
END;

CREATE TRIGGER sites_delete_moves_search AFTER DELETE ON sites
BEGIN
    UPDATE search_generation SET directory = directory + 1 WHERE id = 1;
END;

CREATE TRIGGER rating_summaries_insert_moves_search AFTER INSERT ON rating_summaries
BEGIN
    UPDATE search_generation SET ratings = ratings + 1 WHERE id = 1;
END;

CREATE TRIGGER rating_summaries_update_moves_search AFTER UPDATE ON rating_summaries
BEGIN
    UPDATE search_generation SET ratings = ratings + 1 WHERE id = 1;
END;

CREATE TRIGGER rating_summaries_delete_moves_search AFTER DELETE ON rating_summaries
BEGIN
    UPDATE search_generation SET ratings = ratings + 1 WHERE id = 1;
END;
