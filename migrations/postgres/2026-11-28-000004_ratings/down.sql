DROP TABLE rating_moderations;
DROP TABLE rating_summaries;
DROP TABLE ratings;
