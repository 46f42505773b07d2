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

-- Once per statement, not per row: seeding ten thousand mediators moves it once.
CREATE FUNCTION move_search_directory() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE search_generation SET directory = directory + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE FUNCTION move_search_ratings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE search_generation SET ratings = ratings + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;

CREATE TRIGGER mediators_moves_search AFTER INSERT OR UPDATE OR DELETE ON mediators
    FOR EACH STATEMENT EXECUTE FUNCTION move_search_directory();

CREATE TRIGGER mediator_specialties_moves_search AFTER INSERT OR UPDATE OR DELETE ON mediator_specialties
    FOR EACH STATEMENT EXECUTE FUNCTION move_search_directory();

CREATE TRIGGER sites_moves_search AFTER INSERT OR UPDATE OR DELETE ON sites
    FOR EACH STATEMENT EXECUTE FUNCTION move_search_directory();

CREATE TRIGGER rating_summaries_moves_search AFTER INSERT OR UPDATE OR DELETE ON rating_summaries
    FOR EACH STATEMENT EXECUTE FUNCTION move_search_ratings();
