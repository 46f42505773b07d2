DROP TABLE dispatch_plans;
DROP TABLE dispatch_days;
DROP TABLE home_visits;
DROP TABLE van_crew;
DROP TABLE van_shifts;
DROP TABLE vans;
