DROP TRIGGER mediators_moves_search ON mediators;
DROP TRIGGER mediator_specialties_moves_search ON mediator_specialties;
DROP TRIGGER sites_moves_search ON sites;
DROP TRIGGER rating_summaries_moves_search ON rating_summaries;
DROP FUNCTION move_search_directory();
DROP FUNCTION move_search_ratings();
DROP TABLE search_generation;
