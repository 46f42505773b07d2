DROP TABLE mediator_specialties;
DROP TABLE mediators;
DROP TABLE specialties;
DROP TABLE rooms;
DROP TABLE sites;
